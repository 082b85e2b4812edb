-- purpose: everything recorded in a time window (optionally for one enterprise), with hashes and integrity status, to answer an incident in minutes
-- article: 第二十七条 (public-opinion response)
-- param: from = 2026-03-12 00:00:00 : start of the window, local time YYYY-MM-DD hh:mm:ss
-- param: to = 2026-03-14 00:00:00 : end of the window (exclusive), local time
-- param: enterprise = % : enterprise name or LIKE pattern; files not linked to a case match only the default %
-- Times are read in the bureau's zone (UTC+8). Each file appears once per linked case.
-- findings counts each file's findings above information (information explains, accuses no
-- one).
WITH linked AS (
  SELECT cm.device_id, cm."from" AS f0, cm."to" AS f1, c.case_id, c.enterprise, c.confidential
  FROM case_media cm JOIN cases c ON c.case_id = cm.case_id
)
SELECT COALESCE(f.name_time, f.creation_time) AS recorded_at,
       f.unit, f.device_id, f.officer_id, f.session_id,
       l.case_id, l.enterprise, COALESCE(l.confidential, false) AS confidential,
       f.path, f.media_kind, f.duration_s, f.size_bytes, f.blake3, f.status,
       (SELECT count(*) FROM findings fi WHERE fi.path = f.path AND fi.severity <> 'info') AS findings
FROM files f
LEFT JOIN linked l ON l.device_id = f.device_id
                  AND COALESCE(f.name_time, f.creation_time) >= l.f0
                  AND COALESCE(f.name_time, f.creation_time) <= l.f1
-- the window's bounds are written out (not a one-row table joined in) so they fold to constants
WHERE COALESCE(f.name_time, f.creation_time) >= arrow_cast(to_timestamp({{from}}) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))')
  AND COALESCE(f.name_time, f.creation_time) < arrow_cast(to_timestamp({{to}}) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))')
  AND (COALESCE(l.enterprise, '') LIKE {{enterprise}})
ORDER BY recorded_at, f.path
