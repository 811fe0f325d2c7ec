#!/bin/bash
# Issue 33, session 9: GA and the seeded Keras Tuner peer at 1200 s on the slower machine (about the compute
# of 600 s on the AVX-512 machine), seed by seed, from the frozen clone at 89d35cc
cd /work/eq8
export PYTHONPATH=/work/eq8
PY=/work/venv/bin/python
OUT=/work/slow1200
for k in $(seq ${1:-0} 9); do
  n=$((k+1))
  echo "== seed $k GA $(date)"
  $PY -m archsearch compare --strategies ga --seeds $n --seconds 1200 --out $OUT $([ -f $OUT/compare.json ] && echo --resume) > $OUT.ga$k.log 2>&1 || { echo "GA failed seed $k"; exit 1; }
  tail -1 $OUT/results.csv | cut -c1-120
  echo "== seed $k KT $(date)"
  $PY benchmarks/autoencoder_vs_keras_tuner.py $OUT --seeds $k > $OUT.kt$k.log 2>&1 || { echo "KT failed seed $k"; exit 1; }
  tail -1 $OUT/keras_tuner.csv
done
echo "== done $(date)"
