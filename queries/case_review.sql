-- purpose: per case, its footage, sessions, findings by kind and integrity status; cases with no footage at all
-- article: 第二十七条 (case review); 第二十八条(一) (no record made); 第六、七条 (completeness of the record)
-- param: case_id = % : a case id, or a LIKE pattern (default: every case)
-- A recording belongs to a case when its device is linked to the case (case_media) and it
-- started inside the linked time window. integrity: 'no footage' (第二十八条(一)), 'damaged'
-- (a linked file is corrupt, truncated or unreadable), 'findings' (high findings), 'complete'.
-- Documents of the case file (media_kind 'document', linked through a case folder or
-- case_documents) are not footage and are left out.
-- files.case_ids holds the cases the scan linked each file to (its device linked to the case
-- in case_media, its recording started inside the window): an equi-join, not a range join over
-- every file. The linked files are read twice, each time for only the columns needed: once for
-- counts, seconds and sessions, once for paths to match findings.
WITH per_session AS (
  -- one row per case and session (session_id NULL: the case's files in no session); a file
  -- appears once per case it is linked to
  SELECT case_id, session_id, count(*) AS files, sum(duration_s) AS recorded_s,
         sum(CASE WHEN status IN ('corrupt', 'truncated', 'unreadable') THEN 1 ELSE 0 END) AS damaged_files
  FROM (SELECT unnest(string_to_array(f.case_ids, ',')) AS case_id, f.session_id, f.status, f.duration_s
        FROM files f WHERE f.case_ids IS NOT NULL AND f.media_kind IS DISTINCT FROM 'document') m
  GROUP BY case_id, session_id
), agg AS (
  SELECT case_id, sum(files) AS files, sum(recorded_s) AS recorded_s, sum(damaged_files) AS damaged_files,
         count(session_id) AS sessions
  FROM per_session GROUP BY case_id
), per_kind AS (
  SELECT m.case_id, fi.kind, count(*) AS n, sum(CASE WHEN fi.severity = 'high' THEN 1 ELSE 0 END) AS high
  FROM (SELECT unnest(string_to_array(f.case_ids, ',')) AS case_id, f.path
        FROM files f WHERE f.case_ids IS NOT NULL) m
  JOIN findings fi ON fi.path = m.path
  GROUP BY m.case_id, fi.kind
), kinds AS (
  -- sorted as text: kinds are lower-case words, so 'kind:n' sorts by kind (an ordered
  -- string_agg would give the same text but is many times slower in DataFusion)
  SELECT case_id, array_to_string(array_sort(array_agg(kind || ':' || CAST(n AS VARCHAR))), ', ') AS findings_by_kind,
         sum(n) AS findings, sum(high) AS high_findings
  FROM per_kind GROUP BY case_id
), docs AS (
  -- documents of the case file found in the evidence tree (case folders, case_documents paths)
  SELECT case_id, count(*) AS documents
  FROM (SELECT unnest(string_to_array(f.case_ids, ',')) AS case_id
        FROM files f WHERE f.case_ids IS NOT NULL AND f.media_kind = 'document') d
  GROUP BY case_id
), items AS (
  -- the case against its checklist (case_items, see case_completeness): applicable items
  -- missing, and the share present
  SELECT case_id,
         sum(CASE WHEN applies AND status = 'missing' THEN 1 ELSE 0 END) AS items_missing,
         CASE WHEN sum(CASE WHEN applies THEN 1 ELSE 0 END) > 0
              THEN round(CAST(sum(CASE WHEN applies AND status = 'present' THEN 1 ELSE 0 END) AS DOUBLE)
                         / sum(CASE WHEN applies THEN 1 ELSE 0 END), 3) END AS completeness
  FROM case_items GROUP BY case_id
)
SELECT c.case_id, c.kind, c.enterprise, c.opened, c.closed,
       COALESCE(a.files, 0) AS files,
       COALESCE(a.sessions, 0) AS sessions,
       COALESCE(a.recorded_s, 0) AS recorded_s,
       COALESCE(a.damaged_files, 0) AS damaged_files,
       COALESCE(k.findings, 0) AS findings,
       k.findings_by_kind,
       CASE WHEN COALESCE(a.files, 0) = 0 THEN 'no footage'
            WHEN a.damaged_files > 0 THEN 'damaged'
            WHEN COALESCE(k.high_findings, 0) > 0 THEN 'findings'
            ELSE 'complete' END AS integrity,
       ci.items_missing,
       ci.completeness,
       COALESCE(dc.documents, 0) AS documents
FROM cases c
LEFT JOIN agg a ON a.case_id = c.case_id
LEFT JOIN kinds k ON k.case_id = c.case_id
LEFT JOIN items ci ON ci.case_id = c.case_id
LEFT JOIN docs dc ON dc.case_id = c.case_id
WHERE c.case_id LIKE {{case_id}}
ORDER BY c.case_id
