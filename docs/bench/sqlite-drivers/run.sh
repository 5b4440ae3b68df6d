#!/usr/bin/env bash
# Compares the SQLite drivers on Rightsdesk's workload. Builds one test
# binary per driver (CGO_ENABLED=0), runs them in turns, ROUNDS times, with
# the order rotated each round so that load from elsewhere on the machine
# falls on every driver alike, then summarises the runs with benchstat.
#
#   ./run.sh                      # 10 rounds of 500ms per benchmark, into results.txt
#   ROUNDS=3 BENCHTIME=200ms ./run.sh
set -euo pipefail
cd "$(dirname "$0")"
rounds=${ROUNDS:-10}
benchtime=${BENCHTIME:-500ms}
out=${OUT:-results.txt}
drivers=(glebarez modernc ncruces)

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
export CGO_ENABLED=0
for d in "${drivers[@]}"; do
	go test -c -o "$bin/$d.test" "./$d"
	# Report (without stopping) which of the app's requirements a driver misses.
	(cd "$d" && "$bin/$d.test" -test.run TestSemantics) >&2 || echo "$d: misses a requirement, see above" >&2
done

{
	go version
	nproc | sed 's/^/cores: /'
} >"$out"
for ((r = 0; r < rounds; r++)); do
	for ((i = 0; i < ${#drivers[@]}; i++)); do
		d=${drivers[(i + r) % ${#drivers[@]}]}
		(cd "$d" && "$bin/$d.test" -test.run '^$' -test.bench . -test.benchmem \
			-test.benchtime "$benchtime" -test.count 1) | grep -v '^PASS$' >>"$out"
	done
done
go tool benchstat -ignore pkg -col /driver "$out"
