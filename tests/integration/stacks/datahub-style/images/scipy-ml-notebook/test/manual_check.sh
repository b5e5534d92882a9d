#!/bin/sh
# Run by hand in a server of the image: /opt/manual_tests/manual_check.sh
set -e
for f in base datascience scipy-ml; do
  test -s "/etc/datahub/$f.txt"
done
echo "manual checks passed"
