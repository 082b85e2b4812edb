-- purpose: monthly enforcement activity and findings by unit, case kind and industry, for administrative decisions
-- article: 第二十七条 (administrative decisions)
-- Cases are counted in the month they opened; footage and findings through case_media links.
WITH media AS (
  -- files.case_ids holds the cases the scan linked each file to (its device linked to the
  -- case in case_media, its recording started inside the window): an equi-join, not a
  -- range join over every file.
  SELECT unnest(string_to_array(f.case_ids, ',')) AS case_id, f.path, f.unit, f.duration_s
  FROM files f WHERE f.case_ids IS NOT NULL
), case_unit AS (
  SELECT case_id, min(unit) AS unit, count(*) AS files, sum(COALESCE(duration_s, 0)) AS recorded_s FROM media GROUP BY case_id
), case_findings AS (
  SELECT m.case_id, count(*) AS findings, sum(CASE WHEN fi.severity = 'high' THEN 1 ELSE 0 END) AS high
  FROM media m JOIN findings fi ON fi.path = m.path GROUP BY m.case_id
)
SELECT to_char(c.opened, '%Y-%m') AS month,
       COALESCE(cu.unit, '(no footage)') AS unit,
       c.kind AS case_kind,
       COALESCE(c.industry, '(unknown)') AS industry,
       count(*) AS cases,
       sum(CASE WHEN COALESCE(cu.files, 0) = 0 THEN 1 ELSE 0 END) AS cases_without_footage,
       sum(COALESCE(cu.files, 0)) AS files,
       ROUND(sum(COALESCE(cu.recorded_s, 0)) / 3600.0, 3) AS hours,
       sum(COALESCE(cf.findings, 0)) AS findings,
       sum(COALESCE(cf.high, 0)) AS high_findings
FROM cases c
LEFT JOIN case_unit cu ON cu.case_id = c.case_id
LEFT JOIN case_findings cf ON cf.case_id = c.case_id
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
