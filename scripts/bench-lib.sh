# Shared by scripts/bench.sh, bench-live.sh and bench-scale.sh (sourced, not
# run). The caller defines sql() for its server.

# fresh_table DB TEMPLATE: DB.sbtest1 re-created from DB.TEMPLATE, so every run
# starts from identical data; then InnoDB writes out the pages that dirtied,
# so that flushing does not land in the middle of the next timed run.
fresh_table() {
	local db=${1:-sbtest} template=${2:-sbtest1_template}
	sql "$db" -e "DROP TABLE IF EXISTS sbtest1, _sbtest1_new, _sbtest1_old;
	              CREATE TABLE sbtest1 LIKE \`$template\`;
	              INSERT INTO sbtest1 SELECT * FROM \`$template\`;
	              ANALYZE TABLE sbtest1" >/dev/null || {
		# a writer left over from an interrupted run makes the copy fail,
		# and a half-filled table would measure nothing
		echo "fresh_table: cannot re-create $db.sbtest1 from $template" >&2
		return 1
	}
	sql -e "FLUSH BINARY LOGS; PURGE BINARY LOGS BEFORE NOW()" >/dev/null 2>&1 || true
	local pct io iomax dirty i
	read -r pct io iomax < <(sql -e "SELECT @@GLOBAL.innodb_max_dirty_pages_pct, @@GLOBAL.innodb_io_capacity,
	                                        @@GLOBAL.innodb_io_capacity_max")
	sql -e "SET GLOBAL innodb_max_dirty_pages_pct=0; SET GLOBAL innodb_io_capacity_max=20000;
	        SET GLOBAL innodb_io_capacity=10000"
	for i in $(seq 1 600); do
		dirty=$(sql -e "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
		                WHERE VARIABLE_NAME='INNODB_BUFFER_POOL_PAGES_DIRTY'")
		[ "${dirty:-0}" -lt 200 ] && break
		sleep 0.5
	done
	sql -e "SET GLOBAL innodb_max_dirty_pages_pct=$pct; SET GLOBAL innodb_io_capacity=$io;
	        SET GLOBAL innodb_io_capacity_max=$iomax"
	# and the purge of the previous run's history (its load, the dropped
	# table), which would otherwise lower the next run's "before" throughput
	local hist
	for i in $(seq 1 120); do
		hist=$(sql -e "SELECT COUNT FROM information_schema.INNODB_METRICS WHERE NAME='trx_rseg_history_len'")
		[ "${hist:-0}" -lt 1000 ] && break
		sleep 0.5
	done
	sleep 1
}
