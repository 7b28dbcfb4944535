#!/bin/bash
src=$1
dst=$2
n=0
for f in $(ls $src); do
  cp $src/$f $dst/
  n=$((n + 1))
done
echo $n
