-- oscar's job state: one row per table being changed, in the changed table's
-- schema. Created when a run installs its triggers; the row is removed when the
-- job ends (done, rolled back or cleaned up) and the table with the last row.
-- phase 'revert': swapped, the old table kept in sync until revert_until.
-- last_key is the chunk key of the last row known copied, each column as a
-- 4-byte little-endian length followed by its bytes: binary-safe, any key type.
-- deferred_indexes: the shadow's secondary index definitions, one per line,
-- built after the copy (a resumed run builds those still missing).
CREATE TABLE IF NOT EXISTS `_oscar_state` (
  `table_name` VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `alter_text` MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `shadow_name` VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `trigger_names` VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `phase` ENUM('copy', 'swapped', 'revert') NOT NULL,
  `revert_until` DATETIME(6) NULL,
  `last_key` MEDIUMBLOB NULL,
  `deferred_indexes` MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  `rows_copied` BIGINT UNSIGNED NOT NULL DEFAULT 0,
  `started_at` DATETIME(6) NOT NULL,
  `updated_at` DATETIME(6) NOT NULL,
  PRIMARY KEY (`table_name`)
) ENGINE=InnoDB
