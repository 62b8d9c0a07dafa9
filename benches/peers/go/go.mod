module example.invalid/hwf-license/benches/peers/go

go 1.19

require example.invalid/hwf-license/bindings/go v0.0.0

replace example.invalid/hwf-license/bindings/go => ../../../bindings/go
