module example.invalid/hwf-license/examples/go

go 1.17

require example.invalid/hwf-license/bindings/go v0.0.0

replace example.invalid/hwf-license/bindings/go => ../../bindings/go
