-- purpose: per unit and officer over a period: files, hours recorded, findings per 100 recorded hours by kind, and the change against the previous period of the same length
-- article: 第二十七条 (enforcement supervision); 第二十五条
-- param: from = 2026-03-01 : first day of the period (local date YYYY-MM-DD, inclusive)
-- param: to = 2026-04-01 : first day after the period (local date, exclusive)
-- One row per unit, officer and finding kind, plus a row with kind '(all)'. Days are local
-- (UTC+8). per_100h is findings per 100 recorded hours; change_per_100h = current - previous.
WITH w AS (
  SELECT arrow_cast(to_timestamp({{from}}) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))') AS t0,
         arrow_cast(to_timestamp({{to}}) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))') AS t1
), p AS (
  SELECT t0, t1, t0 - (t1 - t0) AS p0 FROM w
), f AS (
  SELECT fl.unit, COALESCE(fl.officer_id, '(unknown)') AS officer_id, fl.path, COALESCE(fl.duration_s, 0) AS duration_s,
         CASE WHEN COALESCE(fl.name_time, fl.creation_time) >= p.t0 AND COALESCE(fl.name_time, fl.creation_time) < p.t1 THEN 'current'
              WHEN COALESCE(fl.name_time, fl.creation_time) >= p.p0 AND COALESCE(fl.name_time, fl.creation_time) < p.t0 THEN 'previous' END AS period
  FROM files fl CROSS JOIN p
  WHERE fl.media_kind IN ('video', 'audio', 'photo')
    AND COALESCE(fl.name_time, fl.creation_time) >= p.p0
    AND COALESCE(fl.name_time, fl.creation_time) < p.t1
), hours AS (
  SELECT unit, officer_id,
         sum(CASE WHEN period = 'current' THEN 1 ELSE 0 END) AS files,
         sum(CASE WHEN period = 'current' THEN duration_s ELSE 0 END) / 3600.0 AS hours,
         sum(CASE WHEN period = 'previous' THEN duration_s ELSE 0 END) / 3600.0 AS prev_hours
  FROM f WHERE period IS NOT NULL GROUP BY unit, officer_id
), fk AS (
  SELECT f.unit, f.officer_id, fi.kind,
         sum(CASE WHEN f.period = 'current' THEN 1 ELSE 0 END) AS findings,
         sum(CASE WHEN f.period = 'previous' THEN 1 ELSE 0 END) AS prev_findings
  FROM f JOIN findings fi ON fi.path = f.path
  WHERE f.period IS NOT NULL
  GROUP BY f.unit, f.officer_id, fi.kind
  UNION ALL
  SELECT f.unit, f.officer_id, '(all)' AS kind,
         sum(CASE WHEN f.period = 'current' AND fi.kind IS NOT NULL THEN 1 ELSE 0 END),
         sum(CASE WHEN f.period = 'previous' AND fi.kind IS NOT NULL THEN 1 ELSE 0 END)
  FROM f LEFT JOIN findings fi ON fi.path = f.path
  WHERE f.period IS NOT NULL
  GROUP BY f.unit, f.officer_id
)
SELECT h.unit, h.officer_id, fk.kind, h.files, ROUND(h.hours, 3) AS hours,
       fk.findings,
       CASE WHEN h.hours > 0 THEN ROUND(fk.findings * 100.0 / h.hours, 2) END AS per_100h,
       fk.prev_findings,
       CASE WHEN h.prev_hours > 0 THEN ROUND(fk.prev_findings * 100.0 / h.prev_hours, 2) END AS prev_per_100h,
       CASE WHEN h.hours > 0 AND h.prev_hours > 0
            THEN ROUND(fk.findings * 100.0 / h.hours - fk.prev_findings * 100.0 / h.prev_hours, 2) END AS change_per_100h
FROM hours h JOIN fk ON (fk.unit IS NOT DISTINCT FROM h.unit) AND (fk.officer_id = h.officer_id)
WHERE h.files > 0 OR fk.prev_findings > 0
ORDER BY h.unit, h.officer_id, fk.kind
