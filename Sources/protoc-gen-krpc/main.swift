// protoc-gen-krpc: protoc plugin writing krpc service stubs (`--krpc_out=DIR`, options by
// `--krpc_opt=Key=Value`); the generator is the KRPCCodegen library.
import KRPCCodegen

KRPCCodeGenerator.main()
