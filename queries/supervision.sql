-- purpose: per unit and officer over a period: files, hours recorded, findings per 100 recorded hours by kind, and the change against the previous period of the same length
-- article: 第二十七条 (enforcement supervision); 第二十五条
-- param: from = 2026-03-01 : first day of the period (local date YYYY-MM-DD, inclusive)
-- param: to = 2026-04-01 : first day after the period (local date, exclusive)
-- One row per unit, officer and finding kind, plus a row with kind '(all)': the officer's
-- findings above information (information findings, such as a firmware update or a
-- pre-record buffer, explain and accuse no one; they keep their own kind rows). Days are local
-- (UTC+8). per_100h is findings per 100 recorded hours; change_per_100h = current - previous.
-- Shape (for speed on tens of millions of files): `files` is read once and joined once to the
-- findings counted per file and kind; the per-officer totals are window sums over that, and
-- the '(all)' row is the officer's first row read a second time (a join with two constant rows).
WITH f AS (
  -- the period bounds are written out (not a one-row table joined in) so they fold to constants
  SELECT fl.unit, COALESCE(fl.officer_id, '(unknown)') AS officer_id, fl.path, COALESCE(fl.duration_s, 0) AS duration_s,
         CASE WHEN COALESCE(fl.name_time, fl.creation_time) >= arrow_cast(to_timestamp({{from}}) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))')
              THEN 'current' ELSE 'previous' END AS period
  FROM files fl
  WHERE fl.media_kind IN ('video', 'audio', 'photo')
    AND COALESCE(fl.name_time, fl.creation_time) < arrow_cast(to_timestamp({{to}}) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))')
    AND COALESCE(fl.name_time, fl.creation_time) >= arrow_cast(to_timestamp({{from}}) - (to_timestamp({{to}}) - to_timestamp({{from}})) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))')
), per_kind AS (
  SELECT path, kind, count(*) AS n, sum(CASE WHEN severity = 'info' THEN 0 ELSE 1 END) AS accusing
  FROM findings WHERE path IS NOT NULL GROUP BY path, kind
), fk AS (
  -- a file with findings of several kinds joins once per kind: its first kind carries the
  -- file itself (its count and seconds), so no file is counted twice
  SELECT pk.path, pk.kind, pk.n, pk.accusing, pk.kind = pp.first_kind AS carries_file
  FROM per_kind pk
  JOIN (SELECT path, min(kind) AS first_kind FROM findings WHERE path IS NOT NULL GROUP BY path) pp ON pp.path = pk.path
), g AS (
  -- one row per unit, officer and kind; kind NULL gathers the files without findings
  SELECT f.unit, f.officer_id, k.kind,
         sum(CASE WHEN f.period = 'current' AND COALESCE(k.carries_file, true) THEN 1 ELSE 0 END) AS files,
         sum(CASE WHEN f.period = 'current' AND COALESCE(k.carries_file, true) THEN f.duration_s ELSE 0 END) AS secs,
         sum(CASE WHEN f.period = 'previous' AND COALESCE(k.carries_file, true) THEN f.duration_s ELSE 0 END) AS prev_secs,
         sum(CASE WHEN f.period = 'current' THEN COALESCE(k.n, 0) ELSE 0 END) AS findings,
         sum(CASE WHEN f.period = 'previous' THEN COALESCE(k.n, 0) ELSE 0 END) AS prev_findings,
         sum(CASE WHEN f.period = 'current' THEN COALESCE(k.accusing, 0) ELSE 0 END) AS accusing,
         sum(CASE WHEN f.period = 'previous' THEN COALESCE(k.accusing, 0) ELSE 0 END) AS prev_accusing
  FROM f LEFT JOIN fk k ON k.path = f.path
  GROUP BY f.unit, f.officer_id, k.kind
), t AS (
  SELECT g.*,
         sum(files) OVER (PARTITION BY unit, officer_id) AS all_files,
         sum(secs) OVER (PARTITION BY unit, officer_id) / 3600.0 AS hours,
         sum(prev_secs) OVER (PARTITION BY unit, officer_id) / 3600.0 AS prev_hours,
         sum(accusing) OVER (PARTITION BY unit, officer_id) AS all_findings,
         sum(prev_accusing) OVER (PARTITION BY unit, officer_id) AS all_prev_findings,
         row_number() OVER (PARTITION BY unit, officer_id ORDER BY kind NULLS FIRST) AS nth
  FROM g
), r AS (
  SELECT t.unit, t.officer_id, t.all_files AS files, t.hours, t.prev_hours,
         CASE WHEN v.all_kinds THEN '(all)' ELSE t.kind END AS kind,
         CASE WHEN v.all_kinds THEN t.all_findings ELSE t.findings END AS findings,
         CASE WHEN v.all_kinds THEN t.all_prev_findings ELSE t.prev_findings END AS prev_findings
  FROM t CROSS JOIN (SELECT false AS all_kinds UNION ALL SELECT true) AS v
  WHERE (v.all_kinds AND t.nth = 1) OR (NOT v.all_kinds AND t.kind IS NOT NULL)
)
SELECT unit, officer_id, kind, files, ROUND(hours, 3) AS hours,
       findings,
       CASE WHEN hours > 0 THEN ROUND(findings * 100.0 / hours, 2) END AS per_100h,
       prev_findings,
       CASE WHEN prev_hours > 0 THEN ROUND(prev_findings * 100.0 / prev_hours, 2) END AS prev_per_100h,
       CASE WHEN hours > 0 AND prev_hours > 0
            THEN ROUND(findings * 100.0 / hours - prev_findings * 100.0 / prev_hours, 2) END AS change_per_100h
FROM r
WHERE files > 0 OR prev_findings > 0
ORDER BY unit, officer_id, kind
