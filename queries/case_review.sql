-- purpose: per case, its footage, sessions, findings by kind and integrity status; cases with no footage at all
-- article: 第二十七条 (case review); 第二十八条(一) (no record made)
-- param: case_id = % : a case id, or a LIKE pattern (default: every case)
-- A recording belongs to a case when its device is linked to the case (case_media) and it
-- started inside the linked time window. integrity: 'no footage' (第二十八条(一)), 'damaged'
-- (a linked file is corrupt, truncated or unreadable), 'findings' (high findings), 'complete'.
WITH media AS (
  -- files.case_ids holds the cases the scan linked each file to (its device linked to the
  -- case in case_media, its recording started inside the window): an equi-join, not a
  -- range join over every file.
  SELECT unnest(string_to_array(f.case_ids, ',')) AS case_id, f.path, f.session_id, f.status, f.duration_s
  FROM files f WHERE f.case_ids IS NOT NULL
), per_kind AS (
  SELECT m.case_id, fi.kind, count(*) AS n, sum(CASE WHEN fi.severity = 'high' THEN 1 ELSE 0 END) AS high
  FROM media m JOIN findings fi ON fi.path = m.path
  GROUP BY m.case_id, fi.kind
), kinds AS (
  SELECT case_id, string_agg(kind || ':' || CAST(n AS VARCHAR), ', ' ORDER BY kind) AS findings_by_kind,
         sum(n) AS findings, sum(high) AS high_findings
  FROM per_kind GROUP BY case_id
), agg AS (
  -- media has one row per case and file, so counting rows counts files (a DISTINCT count per
  -- case would keep a set per case: slow and memory-hungry over a hundred thousand cases).
  SELECT case_id, count(*) AS files,
         sum(duration_s) AS recorded_s,
         sum(CASE WHEN status IN ('corrupt', 'truncated', 'unreadable') THEN 1 ELSE 0 END) AS damaged_files
  FROM media GROUP BY case_id
), sess AS (
  SELECT case_id, count(*) AS sessions
  FROM (SELECT DISTINCT case_id, session_id FROM media WHERE session_id IS NOT NULL) d
  GROUP BY case_id
)
SELECT c.case_id, c.kind, c.enterprise, c.opened, c.closed,
       COALESCE(a.files, 0) AS files,
       COALESCE(se.sessions, 0) AS sessions,
       COALESCE(a.recorded_s, 0) AS recorded_s,
       COALESCE(a.damaged_files, 0) AS damaged_files,
       COALESCE(k.findings, 0) AS findings,
       k.findings_by_kind,
       CASE WHEN COALESCE(a.files, 0) = 0 THEN 'no footage'
            WHEN a.damaged_files > 0 THEN 'damaged'
            WHEN COALESCE(k.high_findings, 0) > 0 THEN 'findings'
            ELSE 'complete' END AS integrity
FROM cases c
LEFT JOIN agg a ON a.case_id = c.case_id
LEFT JOIN sess se ON se.case_id = c.case_id
LEFT JOIN kinds k ON k.case_id = c.case_id
WHERE c.case_id LIKE {{case_id}}
ORDER BY c.case_id
