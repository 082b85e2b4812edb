-- purpose: retention: footage that may now be disposed of, and footage deleted before its time
-- article: 第二十一条 (long-term keeping); 第二十二条 (at least two years)
-- param: as_of = now : the day to judge at (local date YYYY-MM-DD, judged at its start), or now
-- One row per file. status 'disposable': a standard-class file still on the server whose
-- keep_until has passed (long-term files and files of open cases are never disposable).
-- status 'deleted_early': a deletion recorded in custody_events before the file's keep_until,
-- of a long_term file, or of a file whose case was still open (also a high finding); a record
-- deleted into a recycle bin (event 'recycled') by its own path.
WITH t AS (
  SELECT CASE WHEN {{as_of}} = 'now' THEN arrow_cast(now(), 'Timestamp(Microsecond, Some("UTC"))')
              ELSE arrow_cast(to_timestamp({{as_of}}) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))') END AS as_of
)
SELECT 'disposable' AS status, f.path, f.retention_class, f.keep_until,
       arrow_cast(NULL, 'Timestamp(Microsecond, Some("UTC"))') AS deleted_at,
       f.case_ids, f.device_id, f.size_bytes, f.blake3
FROM files f CROSS JOIN t
WHERE f.retention_class = 'standard' AND f.keep_until < t.as_of
UNION ALL
SELECT 'deleted_early' AS status,
       CASE WHEN e.event = 'recycled' THEN e.previous_path ELSE e.path END AS path, e.retention_class, e.keep_until, e.at AS deleted_at,
       CAST(NULL AS VARCHAR) AS case_ids, e.device_id, e.previous_size_bytes AS size_bytes, e.blake3
FROM custody_events e
WHERE e.event IN ('deleted', 'recycled')
  AND (e.retention_class = 'long_term' OR e.keep_until > e.at
       OR (e.retention_class = 'standard' AND e.keep_until IS NULL))
ORDER BY status, path
