;; sdg plugin ABI 1, by hand: `add` sums two int64 columns; a row is null
;; where either input is. The bump allocator and the ABI exports are what
;; every plugin has (docs/PLUGINS.md).
(module
  (memory (export "memory") 2)
  (global $top (mut i32) (i32.const 1024))
  (func (export "sdg_abi_version") (result i32) (i32.const 1))
  (func (export "sdg_reset") (global.set $top (i32.const 1024)))
  (func (export "sdg_alloc") (param $size i32) (param $align i32) (result i32)
    (local $p i32) (local $end i32) (local $have i32)
    (local.set $p (i32.and (i32.add (global.get $top) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $p) (local.get $size)))
    (local.set $have (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq (memory.grow (i32.div_u (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 65535))
                                            (i32.const 65536)))
                    (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $top (local.get $end))
    (local.get $p))
  (func (export "add") (param $b i32) (result i32)
    (loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    unreachable)
)
