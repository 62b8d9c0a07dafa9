module example.invalid/hwf-license/bindings/go

go 1.17
