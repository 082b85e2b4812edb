-- purpose: per officer per month, a recording-compliance score and its components
-- article: 第二十六条 (performance evaluation includes recording compliance)
-- param: month = % : a month YYYY-MM, or a LIKE pattern (default: every month)
-- Components, each 0..1, over the officer's video/audio/photo files of the month (local time):
--   continuity = recorded / (recorded + missing) seconds of their sessions (gaps, skipped segments)
--   integrity  = share of files whose status is ok
--   clean      = share of files without a high-severity finding
--   metadata   = share of files with device, officer and recording time known
-- score = round(100 * (0.4 continuity + 0.3 integrity + 0.2 clean + 0.1 metadata), 1)
-- Shape (for speed on tens of millions of files): `files` is read once; the month filter folds
-- away when no month is given; files are first grouped per officer, month and session, so each
-- session's seconds join once per officer-month.
WITH f AS (
  SELECT COALESCE(fl.officer_id, '(unknown)') AS officer_id, fl.unit, fl.path, fl.status, fl.session_id,
         date_trunc('month', arrow_cast(COALESCE(fl.name_time, fl.creation_time) + INTERVAL '8 hours', 'Timestamp(Microsecond, None)')) AS month_start,
         fl.device_id IS NOT NULL AND fl.officer_id IS NOT NULL AND COALESCE(fl.name_time, fl.creation_time) IS NOT NULL AS complete_metadata
  FROM files fl
  WHERE fl.media_kind IN ('video', 'audio', 'photo') AND COALESCE(fl.name_time, fl.creation_time) IS NOT NULL
), fm AS (
  SELECT * FROM f
  WHERE {{month}} = '%' OR to_char(month_start, '%Y-%m') LIKE {{month}}
), high AS (
  SELECT DISTINCT path FROM findings WHERE severity = 'high' AND path IS NOT NULL
), g AS (
  -- one row per officer, month and session (session_id NULL: the month's files in no session)
  SELECT fm.officer_id, fm.month_start, fm.session_id, max(fm.unit) AS unit, count(*) AS files,
         sum(CASE WHEN fm.status = 'ok' THEN 1 ELSE 0 END) AS ok_files,
         sum(CASE WHEN h.path IS NULL THEN 1 ELSE 0 END) AS clean_files,
         sum(CASE WHEN fm.complete_metadata THEN 1 ELSE 0 END) AS complete_files
  FROM fm LEFT JOIN high h ON h.path = fm.path
  GROUP BY fm.officer_id, fm.month_start, fm.session_id
), c AS (
  SELECT g.officer_id, g.month_start, max(g.unit) AS unit, sum(g.files) AS files,
         CAST(sum(g.ok_files) AS DOUBLE) / sum(g.files) AS integrity,
         CAST(sum(g.clean_files) AS DOUBLE) / sum(g.files) AS clean,
         CAST(sum(g.complete_files) AS DOUBLE) / sum(g.files) AS metadata,
         sum(s.recorded_s) AS recorded_s, sum(s.missing_s) AS missing_s
  FROM g LEFT JOIN sessions s ON s.session_id = g.session_id
  GROUP BY g.officer_id, g.month_start
)
SELECT c.officer_id, o.name, c.unit, to_char(c.month_start, '%Y-%m') AS month, c.files,
       ROUND(COALESCE(c.recorded_s, 0) / 3600.0, 3) AS hours,
       ROUND(CASE WHEN COALESCE(c.recorded_s, 0) + COALESCE(c.missing_s, 0) > 0
                  THEN c.recorded_s / (c.recorded_s + c.missing_s) ELSE 1.0 END, 4) AS continuity,
       ROUND(c.integrity, 4) AS integrity, ROUND(c.clean, 4) AS clean, ROUND(c.metadata, 4) AS metadata,
       ROUND(100 * (0.4 * CASE WHEN COALESCE(c.recorded_s, 0) + COALESCE(c.missing_s, 0) > 0
                               THEN c.recorded_s / (c.recorded_s + c.missing_s) ELSE 1.0 END
                    + 0.3 * c.integrity + 0.2 * c.clean + 0.1 * c.metadata), 1) AS score
FROM c
LEFT JOIN officers o ON o.officer_id = c.officer_id
ORDER BY c.month_start, c.unit, c.officer_id
