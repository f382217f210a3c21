;; Bit-matrix kernels of the estimator, assembled by wabt at build time (scripts/assemble-wasm.ts): popcounts in
;; WebAssembly SIMD (i8x16.popcnt, carry-save adders) and scalar i64.popcnt over rows of bits over trials, `stride`
;; bytes apart, `chunks` v128 each, every count added to the i32 already in `out`; and the 32 x 32 transposes (four
;; at a time) that turn trial-major bitmaps example-major.
(module
  (memory (export "memory") 1)

  ;; Sum of the four i32 lanes.
  (func $lanes (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))

  ;; Set bits of one v128 as four i32 lanes.
  (func $bits (param $v v128) (result v128)
    (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (i8x16.popcnt (local.get $v)))))

  ;; out[r] += popcount(a_r AND b_r) for r < rows (b = a counts a's rows).
  (func (export "popcountRows") (param $a i32) (param $b i32) (param $rows i32) (param $stride i32) (param $chunks i32) (param $out i32)
    (local $r i32) (local $c i32) (local $pa i32) (local $pb i32) (local $acc v128)
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $r) (local.get $stride))))
        (local.set $pb (i32.add (local.get $b) (i32.mul (local.get $r) (local.get $stride))))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $c (i32.const 0))
        (block $chunksDone
          (loop $chunk
            (br_if $chunksDone (i32.ge_u (local.get $c) (local.get $chunks)))
            (local.set $acc (i32x4.add (local.get $acc) (call $bits (v128.and (v128.load (local.get $pa)) (v128.load (local.get $pb))))))
            (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
            (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $chunk)))
        (i32.store (local.get $out) (i32.add (i32.load (local.get $out)) (call $lanes (local.get $acc))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; out[i * nb + j] += popcount(a_i AND b_j) for i < na, j < nb. From 56 chunks (7168 trials) on, a pair at a
  ;; time through carry-save adders ($addPairCount); below, where the adders' final popcounts cost more than they
  ;; save, in scalar i64.popcnt, one row of a against two of b (against four, TurboFan spills the pointers), and
  ;; the last column of an odd nb through $addPairCount. Both faster than i8x16.popcnt of every chunk, one row of
  ;; a against four of b (scripts/BENCHMARKS.md, change 22).
  (func (export "blockCounts") (param $a i32) (param $na i32) (param $b i32) (param $nb i32) (param $stride i32) (param $chunks i32) (param $out i32)
    (local $i i32) (local $j i32) (local $pa i32) (local $end i32) (local $o i32) (local $x i64)
    (local $s0 i64) (local $s1 i64) (local $pb0 i32) (local $pb1 i32) (local $carrySave i32)
    (local.set $carrySave (i32.ge_u (local.get $chunks) (i32.const 56)))
    (block $iDone
      (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $na)))
        (local.set $j (i32.const 0))
        ;; two columns at a time, in scalar
        (block $pairsDone
          (loop $pair
            (br_if $pairsDone (i32.or (local.get $carrySave) (i32.gt_u (i32.add (local.get $j) (i32.const 2)) (local.get $nb))))
            (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $stride))))
            (local.set $end (i32.add (local.get $pa) (i32.shl (local.get $chunks) (i32.const 4))))
            (local.set $pb0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $stride))))
            (local.set $pb1 (i32.add (local.get $pb0) (local.get $stride)))
            (local.set $s0 (i64.const 0))
            (local.set $s1 (i64.const 0))
            (block $chunksDone
              (loop $chunk
                (br_if $chunksDone (i32.ge_u (local.get $pa) (local.get $end)))
                (local.set $x (i64.load offset=0 (local.get $pa)))
                (local.set $s0 (i64.add (local.get $s0) (i64.popcnt (i64.and (local.get $x) (i64.load offset=0 (local.get $pb0))))))
                (local.set $s1 (i64.add (local.get $s1) (i64.popcnt (i64.and (local.get $x) (i64.load offset=0 (local.get $pb1))))))
                (local.set $x (i64.load offset=8 (local.get $pa)))
                (local.set $s0 (i64.add (local.get $s0) (i64.popcnt (i64.and (local.get $x) (i64.load offset=8 (local.get $pb0))))))
                (local.set $s1 (i64.add (local.get $s1) (i64.popcnt (i64.and (local.get $x) (i64.load offset=8 (local.get $pb1))))))
                (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
                (local.set $pb0 (i32.add (local.get $pb0) (i32.const 16)))
                (local.set $pb1 (i32.add (local.get $pb1) (i32.const 16)))
                (br $chunk)))
            (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $nb)) (local.get $j)) (i32.const 2))))
            (i32.store offset=0 (local.get $o) (i32.add (i32.load offset=0 (local.get $o)) (i32.wrap_i64 (local.get $s0))))
            (i32.store offset=4 (local.get $o) (i32.add (i32.load offset=4 (local.get $o)) (i32.wrap_i64 (local.get $s1))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $pair)))
        ;; the other columns (all of them from 56 chunks on) one at a time
        (block $restDone
          (loop $rest
            (br_if $restDone (i32.ge_u (local.get $j) (local.get $nb)))
            (call $addPairCount
              (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $stride)))
              (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $stride)))
              (local.get $chunks)
              (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $nb)) (local.get $j)) (i32.const 2))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $rest)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iLoop))))

  ;; popcount(a AND b) over `chunks` v128 at pa and pb, added to the i32 at out. Harley-Seal (Mula, Kurz and
  ;; Lemire, "Faster population counts using AVX2 instructions", 2018): each group of 8 chunks goes through
  ;; carry-save adders (u = x xor y, carry = bitselect(z, x, u), sum = u xor z) into bit-sliced counters ones,
  ;; twos, fours, and only the eights that carry out are popcounted, once a group (16 a group: TurboFan loads all
  ;; 32 v128 first and spills); the count is 8 eights + 4 fours + 2 twos + ones, and the last
  ;; chunks mod 8 are popcounted one by one. `total` counts in i16 lanes, at most 16 a group: exact up to 4095
  ;; groups (32,767 chunks); `rest` gets at most 16 from ones and 16 from each of 7 last chunks.
  (func $addPairCount (param $pa i32) (param $pb i32) (param $chunks i32) (param $out i32)
    (local $end i32) (local $x v128) (local $y v128) (local $u v128) (local $ones v128) (local $twos v128) (local $fours v128)
    (local $twosA v128) (local $twosB v128) (local $foursA v128) (local $foursB v128) (local $eights v128) (local $total v128) (local $rest v128)
    (local.set $end (i32.add (local.get $pa) (i32.shl (i32.and (local.get $chunks) (i32.const -8)) (i32.const 4))))
    (block $groupsDone
      (loop $group
        (br_if $groupsDone (i32.ge_u (local.get $pa) (local.get $end)))
            (local.set $x (v128.and (v128.load offset=0 (local.get $pa)) (v128.load offset=0 (local.get $pb))))
            (local.set $y (v128.and (v128.load offset=16 (local.get $pa)) (v128.load offset=16 (local.get $pb))))
            (local.set $u (v128.xor (local.get $ones) (local.get $x)))
            (local.set $twosA (v128.bitselect (local.get $y) (local.get $ones) (local.get $u)))
            (local.set $ones (v128.xor (local.get $u) (local.get $y)))
            (local.set $x (v128.and (v128.load offset=32 (local.get $pa)) (v128.load offset=32 (local.get $pb))))
            (local.set $y (v128.and (v128.load offset=48 (local.get $pa)) (v128.load offset=48 (local.get $pb))))
            (local.set $u (v128.xor (local.get $ones) (local.get $x)))
            (local.set $twosB (v128.bitselect (local.get $y) (local.get $ones) (local.get $u)))
            (local.set $ones (v128.xor (local.get $u) (local.get $y)))
            (local.set $u (v128.xor (local.get $twos) (local.get $twosA)))
            (local.set $foursA (v128.bitselect (local.get $twosB) (local.get $twos) (local.get $u)))
            (local.set $twos (v128.xor (local.get $u) (local.get $twosB)))
            (local.set $x (v128.and (v128.load offset=64 (local.get $pa)) (v128.load offset=64 (local.get $pb))))
            (local.set $y (v128.and (v128.load offset=80 (local.get $pa)) (v128.load offset=80 (local.get $pb))))
            (local.set $u (v128.xor (local.get $ones) (local.get $x)))
            (local.set $twosA (v128.bitselect (local.get $y) (local.get $ones) (local.get $u)))
            (local.set $ones (v128.xor (local.get $u) (local.get $y)))
            (local.set $x (v128.and (v128.load offset=96 (local.get $pa)) (v128.load offset=96 (local.get $pb))))
            (local.set $y (v128.and (v128.load offset=112 (local.get $pa)) (v128.load offset=112 (local.get $pb))))
            (local.set $u (v128.xor (local.get $ones) (local.get $x)))
            (local.set $twosB (v128.bitselect (local.get $y) (local.get $ones) (local.get $u)))
            (local.set $ones (v128.xor (local.get $u) (local.get $y)))
            (local.set $u (v128.xor (local.get $twos) (local.get $twosA)))
            (local.set $foursB (v128.bitselect (local.get $twosB) (local.get $twos) (local.get $u)))
            (local.set $twos (v128.xor (local.get $u) (local.get $twosB)))
            (local.set $u (v128.xor (local.get $fours) (local.get $foursA)))
            (local.set $eights (v128.bitselect (local.get $foursB) (local.get $fours) (local.get $u)))
            (local.set $fours (v128.xor (local.get $u) (local.get $foursB)))
            (local.set $total (i16x8.add (local.get $total) (i16x8.extadd_pairwise_i8x16_u (i8x16.popcnt (local.get $eights)))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 128)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 128)))
        (br $group)))
    (local.set $rest (i16x8.extadd_pairwise_i8x16_u (i8x16.popcnt (local.get $ones))))
    (local.set $end (i32.add (local.get $pa) (i32.shl (i32.and (local.get $chunks) (i32.const 7)) (i32.const 4))))
    (block $restDone
      (loop $chunk
        (br_if $restDone (i32.ge_u (local.get $pa) (local.get $end)))
        (local.set $rest (i16x8.add (local.get $rest) (i16x8.extadd_pairwise_i8x16_u (i8x16.popcnt (v128.and (v128.load (local.get $pa)) (v128.load (local.get $pb)))))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
        (br $chunk)))
    (i32.store (local.get $out) (i32.add (i32.load (local.get $out)) (call $lanes
      (i32x4.add
        (i32x4.add (i32x4.shl (i32x4.extadd_pairwise_i16x8_u (local.get $total)) (i32.const 3))
                   (i32x4.shl (call $bits (local.get $fours)) (i32.const 2)))
        (i32x4.add (i32x4.shl (call $bits (local.get $twos)) (i32.const 1))
                   (i32x4.extadd_pairwise_i16x8_u (local.get $rest))))))))

  ;; a_r &= mask for r < rows: keeps only the trials an analysis uses.
  (func (export "maskRows") (param $a i32) (param $rows i32) (param $stride i32) (param $chunks i32) (param $mask i32)
    (local $r i32) (local $c i32) (local $pa i32)
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $r) (local.get $stride))))
        (local.set $c (i32.const 0))
        (block $chunksDone
          (loop $chunk
            (br_if $chunksDone (i32.ge_u (local.get $c) (local.get $chunks)))
            (v128.store (local.get $pa) (v128.and (v128.load (local.get $pa)) (v128.load (i32.add (local.get $mask) (i32.shl (local.get $c) (i32.const 4))))))
            (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $chunk)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))
  ;; Rows 32 w0 .. 32 w1 - 1 of up to 512 bitmaps at src (bitmap b at src + 4 b words, `words` words each) as words:
  ;; bit b of word dst[(32 (w - w0) + r) * pitch + g] is bit 32 w + r of bitmap 32 g + b (0 for b past `count`),
  ;; for g < pitch (a multiple of 4). Four 32 x 32 transposes at once (Hacker's Delight 7-3, LSB-first), one
  ;; group of 32 bitmaps in each i32 lane, in the 512 bytes at `scratch`; each row's four words stored as one v128.
  (func (export "transposeStrip") (param $src i32) (param $count i32) (param $words i32) (param $w0 i32) (param $w1 i32) (param $dst i32) (param $pitch i32) (param $scratch i32)
    (local $w i32) (local $g i32) (local $b i32) (local $bm i32) (local $at i32) (local $step i32) (local $j i32) (local $m i32) (local $k i32)
    (local $pa i32) (local $pb i32) (local $x v128) (local $y v128) (local $t v128) (local $out i32) (local $to i32)
    (local.set $step (i32.shl (local.get $words) (i32.const 7))) ;; 32 bitmaps further on
    (local.set $w (local.get $w0))
    (block $wDone
      (loop $wLoop
        (br_if $wDone (i32.ge_u (local.get $w) (local.get $w1)))
        (local.set $g (i32.const 0))
        (block $gDone
          (loop $gLoop
            (br_if $gDone (i32.ge_u (local.get $g) (local.get $pitch)))
            ;; word w of bitmaps 32 (g + l) + b into lane l of v128 b
            (local.set $b (i32.const 0))
            (block $bDone
              (loop $gather
                (br_if $bDone (i32.ge_u (local.get $b) (i32.const 32)))
                (local.set $bm (i32.add (i32.shl (local.get $g) (i32.const 5)) (local.get $b)))
                (local.set $at (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $bm) (local.get $words)) (local.get $w)) (i32.const 2))))
                (local.set $out (i32.add (local.get $scratch) (i32.shl (local.get $b) (i32.const 4))))
                (i32.store offset=0 (local.get $out) (if (result i32) (i32.lt_u (local.get $bm) (local.get $count)) (then (i32.load (local.get $at))) (else (i32.const 0))))
                (local.set $at (i32.add (local.get $at) (local.get $step)))
                (i32.store offset=4 (local.get $out) (if (result i32) (i32.lt_u (i32.add (local.get $bm) (i32.const 32)) (local.get $count)) (then (i32.load (local.get $at))) (else (i32.const 0))))
                (local.set $at (i32.add (local.get $at) (local.get $step)))
                (i32.store offset=8 (local.get $out) (if (result i32) (i32.lt_u (i32.add (local.get $bm) (i32.const 64)) (local.get $count)) (then (i32.load (local.get $at))) (else (i32.const 0))))
                (local.set $at (i32.add (local.get $at) (local.get $step)))
                (i32.store offset=12 (local.get $out) (if (result i32) (i32.lt_u (i32.add (local.get $bm) (i32.const 96)) (local.get $count)) (then (i32.load (local.get $at))) (else (i32.const 0))))
                (local.set $b (i32.add (local.get $b) (i32.const 1)))
                (br $gather)))
            ;; transpose in place, lane by lane: swap bit b of v128 a with bit a of v128 b
            (local.set $j (i32.const 16))
            (local.set $m (i32.const 0x0000ffff))
            (block $jDone
              (loop $jLoop
                (br_if $jDone (i32.eqz (local.get $j)))
                (local.set $k (i32.const 0))
                (block $kDone
                  (loop $kLoop
                    (br_if $kDone (i32.ge_u (local.get $k) (i32.const 32)))
                    (local.set $pa (i32.add (local.get $scratch) (i32.shl (local.get $k) (i32.const 4))))
                    (local.set $pb (i32.add (local.get $pa) (i32.shl (local.get $j) (i32.const 4))))
                    (local.set $x (v128.load (local.get $pa)))
                    (local.set $y (v128.load (local.get $pb)))
                    (local.set $t (v128.and (v128.xor (i32x4.shr_u (local.get $x) (local.get $j)) (local.get $y)) (i32x4.splat (local.get $m))))
                    (v128.store (local.get $pa) (v128.xor (local.get $x) (i32x4.shl (local.get $t) (local.get $j))))
                    (v128.store (local.get $pb) (v128.xor (local.get $y) (local.get $t)))
                    (local.set $k (i32.and (i32.add (i32.add (local.get $k) (local.get $j)) (i32.const 1)) (i32.xor (local.get $j) (i32.const -1))))
                    (br $kLoop)))
                (local.set $j (i32.shr_u (local.get $j) (i32.const 1)))
                (local.set $m (i32.xor (local.get $m) (i32.shl (local.get $m) (local.get $j))))
                (br $jLoop)))
            ;; v128 r holds words g .. g + 3 of row 32 (w - w0) + r
            (local.set $to (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (i32.shl (i32.sub (local.get $w) (local.get $w0)) (i32.const 5)) (local.get $pitch)) (local.get $g)) (i32.const 2))))
            (local.set $b (i32.const 0))
            (block $sDone
              (loop $scatter
                (br_if $sDone (i32.ge_u (local.get $b) (i32.const 32)))
                (v128.store (local.get $to) (v128.load (i32.add (local.get $scratch) (i32.shl (local.get $b) (i32.const 4)))))
                (local.set $to (i32.add (local.get $to) (i32.shl (local.get $pitch) (i32.const 2))))
                (local.set $b (i32.add (local.get $b) (i32.const 1)))
                (br $scatter)))
            (local.set $g (i32.add (local.get $g) (i32.const 4)))
            (br $gLoop)))
        (local.set $w (i32.add (local.get $w) (i32.const 1)))
        (br $wLoop))))
)
