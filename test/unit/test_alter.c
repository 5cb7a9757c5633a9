/* ALTER text analysis: renames, drops, table renames, and what is refused. */
#include <stdlib.h>
#include <string.h>

#include "alter.h"
#include "tap.h"

/* the names oscar knows as foreign keys get an underscore */
static const char *rename_fk(const char *name, void *arg)
{
	static char buf[80];
	(void)arg;
	if (strcmp(name, "fk1") && strcmp(name, "f`k2"))
		return NULL;
	snprintf(buf, sizeof buf, "_%s", name);
	return buf;
}

int main(void)
{
	struct alter_info ai;

	ok(alter_analyze("ADD COLUMN x INT NULL", &ai) == 0, "plain ADD accepted");
	ok(ai.nrenames == 0 && ai.ndropped == 0, "no renames, no drops");
	alter_info_free(&ai);

	ok(alter_analyze("CHANGE v vv VARCHAR(30), ADD INDEX (vv)", &ai) == 0, "CHANGE accepted");
	ok(ai.nrenames == 1, "one rename");
	is_str(alter_new_name(&ai, "v"), "vv", "v -> vv");
	is_str(alter_new_name(&ai, "V"), "vv", "column names are case-insensitive");
	is_str(alter_new_name(&ai, "other"), "other", "other columns keep their names");
	alter_info_free(&ai);

	ok(alter_analyze("CHANGE COLUMN IF EXISTS `a b` `c``d` INT", &ai) == 0, "quoted CHANGE accepted");
	is_str(alter_new_name(&ai, "a b"), "c`d", "backtick-quoted names unquoted");
	alter_info_free(&ai);

	ok(alter_analyze("CHANGE x x BIGINT", &ai) == 0 && ai.nrenames == 0, "CHANGE to the same name is no rename");
	alter_info_free(&ai);

	ok(alter_analyze("RENAME COLUMN a TO b", &ai) == 0, "RENAME COLUMN accepted");
	is_str(alter_new_name(&ai, "a"), "b", "RENAME COLUMN maps a -> b");
	alter_info_free(&ai);

	ok(alter_analyze("CHANGE a b INT, CHANGE b a VARCHAR(10)", &ai) == 0, "swap accepted");
	is_str(alter_new_name(&ai, "a"), "b", "swap: a -> b (clauses name original columns)");
	is_str(alter_new_name(&ai, "b"), "a", "swap: b -> a");
	alter_info_free(&ai);

	ok(alter_analyze("RENAME INDEX i1 TO i2", &ai) == 0 && ai.nrenames == 0, "RENAME INDEX is not a table rename");
	alter_info_free(&ai);
	ok(alter_analyze("RENAME KEY i1 TO i2", &ai) == 0, "RENAME KEY is not a table rename");
	alter_info_free(&ai);

	ok(alter_analyze("ADD COLUMN z INT, RENAME TO t2", &ai) != 0 && ai.renames_table, "RENAME TO refused");
	ok(strstr(ai.error, "renames the table") != NULL, "message says why: %s", ai.error);
	alter_info_free(&ai);
	ok(alter_analyze("RENAME AS t2", &ai) != 0, "RENAME AS refused");
	alter_info_free(&ai);
	ok(alter_analyze("rename t2", &ai) != 0, "lower-case bare RENAME refused");
	alter_info_free(&ai);

	ok(alter_analyze("DROP COLUMN a, DROP b, DROP INDEX i, DROP PRIMARY KEY, DROP FOREIGN KEY f, ADD COLUMN a INT",
			 &ai) == 0, "drops accepted");
	ok(ai.ndropped == 2, "two column drops (got %d)", ai.ndropped);
	ok(alter_dropped(&ai, "a") && alter_dropped(&ai, "B"), "a and b dropped");
	ok(!alter_dropped(&ai, "i") && !alter_dropped(&ai, "f"), "index and foreign key drops are not columns");
	alter_info_free(&ai);

	ok(alter_analyze("ADD COLUMN c INT COMMENT 'RENAME TO x; CHANGE a b'", &ai) == 0, "keywords inside strings ignored");
	ok(ai.nrenames == 0 && !ai.renames_table, "no rename from a comment string");
	alter_info_free(&ai);

	ok(alter_analyze("ADD COLUMN c INT /* RENAME TO x */ -- CHANGE a b\n", &ai) == 0, "comments ignored");
	ok(ai.nrenames == 0, "no rename from comments");
	alter_info_free(&ai);

	ok(alter_analyze("ADD COLUMN c ENUM('a,b', 'c'), CHANGE d e INT", &ai) == 0, "commas inside strings and parentheses");
	is_str(alter_new_name(&ai, "d"), "e", "clause after a parenthesised list analysed");
	alter_info_free(&ai);

	ok(alter_analyze("ADD COLUMN c INT, DROP FOREIGN KEY fk1, drop constraint if exists `f``k2`, DROP CONSTRAINT chk, "
			 "ADD CONSTRAINT `x` FOREIGN KEY (c) REFERENCES p (id)", &ai) == 0, "foreign key clauses accepted");
	ok(ai.nfkdrops == 3, "three constraint drops recorded (got %d)", ai.nfkdrops);
	ok(ai.adds_fk, "ADD CONSTRAINT ... FOREIGN KEY seen");
	{
		const char *text = "ADD COLUMN c INT, DROP FOREIGN KEY fk1, drop constraint if exists `f``k2`, DROP CONSTRAINT chk, "
				   "ADD CONSTRAINT `x` FOREIGN KEY (c) REFERENCES p (id)";
		char *out = alter_shadow_text(text, &ai, rename_fk, NULL);
		is_str(out, "ADD COLUMN c INT, DROP FOREIGN KEY `_fk1`, drop constraint if exists `_f``k2`, DROP CONSTRAINT chk, "
			    "ADD CONSTRAINT `x` FOREIGN KEY (c) REFERENCES p (id)",
		       "only the foreign keys' names are replaced, quoted");
		free(out);
	}
	alter_info_free(&ai);
	ok(alter_analyze("ADD FOREIGN KEY (c) REFERENCES p (id)", &ai) == 0 && ai.adds_fk, "ADD FOREIGN KEY seen");
	alter_info_free(&ai);
	ok(alter_analyze("ADD COLUMN c INT REFERENCES p (id), ADD KEY (c)", &ai) == 0 && !ai.adds_fk,
	   "an inline REFERENCES (ignored by InnoDB) adds no foreign key");
	alter_info_free(&ai);

	/* ALGORITHM= and LOCK=: native requests, or left out of the copy */
	{
		const char *text = "ADD COLUMN z INT, ALGORITHM=INSTANT";
		ok(alter_analyze(text, &ai) == 0 && ai.algorithm == ALG_INSTANT && alter_algorithm_native(&ai),
		   "ALGORITHM=INSTANT asks for the server's own ALTER");
		char *out = alter_shadow_text(text, &ai, NULL, NULL);
		is_str(out, "ADD COLUMN z INT", "ALGORITHM= is not part of the copy's text");
		free(out);
		alter_info_free(&ai);
		text = "LOCK = NONE, ADD COLUMN z INT /* c */ DEFAULT 1,ALGORITHM COPY, DROP FOREIGN KEY fk1";
		ok(alter_analyze(text, &ai) == 0 && ai.algorithm == ALG_COPY && ai.has_lock && !alter_algorithm_native(&ai),
		   "ALGORITHM COPY and LOCK = NONE recognised");
		out = alter_shadow_text(text, &ai, rename_fk, NULL);
		is_str(out, "ADD COLUMN z INT /* c */ DEFAULT 1, DROP FOREIGN KEY `_fk1`",
		       "ALGORITHM and LOCK dropped, foreign key renamed, the rest verbatim");
		free(out);
		alter_info_free(&ai);
		ok(alter_analyze("ALGORITHM=COPY", &ai) == 0, "ALGORITHM alone accepted");
		out = alter_shadow_text("ALGORITHM=COPY", &ai, NULL, NULL);
		is_str(out, "FORCE", "nothing but ALGORITHM=COPY is a rebuild");
		free(out);
		alter_info_free(&ai);
		ok(alter_analyze("ADD COLUMN algorithm INT", &ai) == 0 && ai.algorithm == ALG_NONE,
		   "a column named algorithm is not the clause");
		alter_info_free(&ai);
	}
	/* partition maintenance */
	ok(alter_analyze("DROP PARTITION p0, p1", &ai) == 0 && ai.partition == PART_DROP && ai.ndropped == 0,
	   "DROP PARTITION p0, p1 is partition maintenance, no column dropped");
	ok(alter_partition_native(&ai, false), "DROP PARTITION runs natively");
	alter_info_free(&ai);
	ok(alter_analyze("truncate partition all", &ai) == 0 && ai.partition == PART_TRUNCATE, "TRUNCATE PARTITION ALL");
	alter_info_free(&ai);
	ok(alter_analyze("ADD PARTITION (PARTITION p9 VALUES LESS THAN (2050))", &ai) == 0 && ai.partition == PART_ADD,
	   "ADD PARTITION");
	ok(alter_partition_native(&ai, true) && !alter_partition_native(&ai, false),
	   "ADD PARTITION natively for RANGE/LIST only");
	alter_info_free(&ai);
	ok(alter_analyze("REORGANIZE PARTITION p0 INTO (PARTITION a VALUES LESS THAN (5), PARTITION b VALUES LESS THAN (10))", &ai) == 0 &&
		   ai.partition == PART_REORGANIZE && !alter_partition_native(&ai, true),
	   "REORGANIZE PARTITION is copied online");
	alter_info_free(&ai);
	ok(alter_analyze("EXCHANGE PARTITION p0 WITH TABLE t2", &ai) == 0 && ai.partition == PART_EXCHANGE &&
		   alter_partition_native(&ai, true), "EXCHANGE PARTITION runs natively");
	alter_info_free(&ai);
	ok(alter_analyze("CONVERT PARTITION p0 TO TABLE t2", &ai) == 0 && ai.partition == PART_CONVERT, "CONVERT PARTITION");
	alter_info_free(&ai);
	ok(alter_analyze("CONVERT TO CHARACTER SET utf8mb4", &ai) == 0 && ai.partition == PART_NONE,
	   "CONVERT TO CHARACTER SET is no partition maintenance");
	alter_info_free(&ai);
	ok(alter_analyze("PARTITION BY HASH (id) PARTITIONS 4", &ai) == 0 && ai.partition == PART_NONE,
	   "PARTITION BY is a copy");
	alter_info_free(&ai);
	ok(alter_analyze("ADD COLUMN z INT, DROP PARTITION p0", &ai) == 0 && ai.partition == PART_NONE,
	   "partition maintenance after another clause is left to the server to refuse");
	alter_info_free(&ai);
	/* table options */
	ok(alter_analyze("AUTO_INCREMENT=10001", &ai) == 0 && ai.sets_auto_increment && ai.auto_increment == 10001,
	   "AUTO_INCREMENT=N seen, with its value");
	alter_info_free(&ai);
	ok(alter_analyze("ENGINE=InnoDB AUTO_INCREMENT 5 COMMENT 'x'", &ai) == 0 && ai.sets_auto_increment &&
		   ai.auto_increment == 5,
	   "AUTO_INCREMENT N among space-separated options");
	alter_info_free(&ai);
	ok(alter_analyze("MODIFY id BIGINT NOT NULL AUTO_INCREMENT, ADD KEY (a)", &ai) == 0 && !ai.sets_auto_increment,
	   "AUTO_INCREMENT in a column definition is not the table option");
	alter_info_free(&ai);
	ok(alter_analyze("ADD SYSTEM VERSIONING", &ai) == 0 && ai.versioning, "ADD SYSTEM VERSIONING seen");
	alter_info_free(&ai);
	ok(alter_analyze("DISCARD TABLESPACE", &ai) == 0 && ai.refused, "DISCARD TABLESPACE refused");
	alter_info_free(&ai);

	ok(alter_analyze("ADD COLUMN x INT; DROP TABLE t", &ai) != 0, "';' refused");
	alter_info_free(&ai);
	ok(alter_analyze("ADD COLUMN x INT COMMENT ';'", &ai) == 0, "';' inside a string is fine");
	alter_info_free(&ai);
	ok(alter_analyze("   ", &ai) != 0, "empty refused");
	alter_info_free(&ai);
	ok(alter_analyze("ADD COLUMN x INT COMMENT 'open", &ai) != 0, "unterminated string refused");
	alter_info_free(&ai);
	ok(alter_analyze("ADD INDEX (a", &ai) != 0, "unbalanced parentheses refused");
	alter_info_free(&ai);
	return tap_done();
}
