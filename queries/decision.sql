-- purpose: monthly enforcement activity and findings by unit, case kind and industry, for administrative decisions
-- article: 第二十七条 (administrative decisions)
-- Cases are counted in the month they opened; footage and findings through case_media links.
WITH media AS (
  -- Documents of the case file (media_kind 'document', linked through a case folder or
  -- case_documents) are not footage and are left out.
  -- files.case_ids holds the cases the scan linked each file to (its device linked to the
  -- case in case_media, its recording started inside the window): an equi-join, not a
  -- range join over every file.
  SELECT unnest(string_to_array(f.case_ids, ',')) AS case_id, f.path, f.unit, f.duration_s
  FROM files f WHERE f.case_ids IS NOT NULL AND f.media_kind IS DISTINCT FROM 'document'
), per_path AS (
  -- findings above information: those explain (a firmware update, a pre-record buffer) and
  -- accuse no one
  SELECT path, sum(CASE WHEN severity = 'info' THEN 0 ELSE 1 END) AS findings,
         sum(CASE WHEN severity = 'high' THEN 1 ELSE 0 END) AS high
  FROM findings WHERE path IS NOT NULL GROUP BY path
), per_case AS (
  -- one pass over the linked files: each file once per case, with its findings counted per file
  SELECT m.case_id, min(m.unit) AS unit, count(*) AS files, sum(COALESCE(m.duration_s, 0)) AS recorded_s,
         sum(COALESCE(pp.findings, 0)) AS findings, sum(COALESCE(pp.high, 0)) AS high
  FROM media m LEFT JOIN per_path pp ON pp.path = m.path
  GROUP BY m.case_id
)
SELECT to_char(c.opened, '%Y-%m') AS month,
       COALESCE(pc.unit, '(no footage)') AS unit,
       c.kind AS case_kind,
       COALESCE(c.industry, '(unknown)') AS industry,
       count(*) AS cases,
       sum(CASE WHEN COALESCE(pc.files, 0) = 0 THEN 1 ELSE 0 END) AS cases_without_footage,
       sum(COALESCE(pc.files, 0)) AS files,
       ROUND(sum(COALESCE(pc.recorded_s, 0)) / 3600.0, 3) AS hours,
       sum(COALESCE(pc.findings, 0)) AS findings,
       sum(COALESCE(pc.high, 0)) AS high_findings
FROM cases c
LEFT JOIN per_case pc ON pc.case_id = c.case_id
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
