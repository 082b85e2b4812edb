-- purpose: per officer per month, a recording-compliance score and its components
-- article: 第二十六条 (performance evaluation includes recording compliance)
-- param: month = % : a month YYYY-MM, or a LIKE pattern (default: every month)
-- Components, each 0..1, over the officer's video/audio/photo files of the month (local time):
--   continuity = recorded / (recorded + missing) seconds of their sessions (gaps, skipped segments)
--   integrity  = share of files whose status is ok
--   clean      = share of files without a high-severity finding
--   metadata   = share of files with device, officer and recording time known
-- score = round(100 * (0.4 continuity + 0.3 integrity + 0.2 clean + 0.1 metadata), 1)
WITH f AS (
  SELECT COALESCE(fl.officer_id, '(unknown)') AS officer_id, fl.unit, fl.path, fl.status, fl.session_id,
         date_trunc('month', arrow_cast(COALESCE(fl.name_time, fl.creation_time) + INTERVAL '8 hours', 'Timestamp(Microsecond, None)')) AS month_start,
         fl.device_id IS NOT NULL AND fl.officer_id IS NOT NULL AND COALESCE(fl.name_time, fl.creation_time) IS NOT NULL AS complete_metadata
  FROM files fl
  WHERE fl.media_kind IN ('video', 'audio', 'photo') AND COALESCE(fl.name_time, fl.creation_time) IS NOT NULL
), high AS (
  SELECT DISTINCT path FROM findings WHERE severity = 'high' AND path IS NOT NULL
), sess AS (
  -- each session once per officer and month, then its seconds (distinct before the join: far
  -- fewer rows than files)
  SELECT d.officer_id, d.month_start, s.recorded_s, s.missing_s
  FROM (SELECT DISTINCT officer_id, month_start, session_id FROM f WHERE session_id IS NOT NULL) d
  JOIN sessions s ON s.session_id = d.session_id
), cont AS (
  SELECT officer_id, month_start, sum(recorded_s) AS recorded_s, sum(missing_s) AS missing_s FROM sess GROUP BY officer_id, month_start
), comp AS (
  SELECT f.officer_id, max(f.unit) AS unit, f.month_start, count(*) AS files,
         CAST(sum(CASE WHEN f.status = 'ok' THEN 1 ELSE 0 END) AS DOUBLE) / count(*) AS integrity,
         CAST(sum(CASE WHEN h.path IS NULL THEN 1 ELSE 0 END) AS DOUBLE) / count(*) AS clean,
         CAST(sum(CASE WHEN f.complete_metadata THEN 1 ELSE 0 END) AS DOUBLE) / count(*) AS metadata
  FROM f LEFT JOIN high h ON h.path = f.path
  GROUP BY f.officer_id, f.month_start
)
SELECT c.officer_id, o.name, c.unit, to_char(c.month_start, '%Y-%m') AS month, c.files,
       ROUND(COALESCE(ct.recorded_s, 0) / 3600.0, 3) AS hours,
       ROUND(CASE WHEN COALESCE(ct.recorded_s, 0) + COALESCE(ct.missing_s, 0) > 0
                  THEN ct.recorded_s / (ct.recorded_s + ct.missing_s) ELSE 1.0 END, 4) AS continuity,
       ROUND(c.integrity, 4) AS integrity, ROUND(c.clean, 4) AS clean, ROUND(c.metadata, 4) AS metadata,
       ROUND(100 * (0.4 * CASE WHEN COALESCE(ct.recorded_s, 0) + COALESCE(ct.missing_s, 0) > 0
                               THEN ct.recorded_s / (ct.recorded_s + ct.missing_s) ELSE 1.0 END
                    + 0.3 * c.integrity + 0.2 * c.clean + 0.1 * c.metadata), 1) AS score
FROM comp c
LEFT JOIN cont ct ON ct.officer_id = c.officer_id AND ct.month_start = c.month_start
LEFT JOIN officers o ON o.officer_id = c.officer_id
WHERE to_char(c.month_start, '%Y-%m') LIKE {{month}}
ORDER BY c.month_start, c.unit, c.officer_id
