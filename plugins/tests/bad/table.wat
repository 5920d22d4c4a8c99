;; A table bomb: one table.grow asks for a billion elements (host memory).
(module
  (memory (export "memory") 1)
  (table $t 1 funcref)
  (func (export "sdg_abi_version") (result i32) (i32.const 1))
  (func (export "sdg_reset"))
  (func (export "sdg_alloc") (param i32 i32) (result i32) (i32.const 1024))
  (func (export "add") (param $b i32) (result i32)
    (if (i32.eq (table.grow $t (ref.null func) (i32.const 1000000000)) (i32.const -1))
      (then (return (i32.const 9))))
    (i32.const 0))
)
