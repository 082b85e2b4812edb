-- purpose: per enterprise (unified social credit code), its enforcement actions and how completely they are evidenced; confidential cases left out
-- article: 第二十七条 (social credit system); 第二十四条 (secrets and privacy excluded)
-- evidenced: the case has footage; fully_evidenced: footage, no damaged file and no high finding.
WITH media AS (
  -- Documents of the case file (media_kind 'document', linked through a case folder or
  -- case_documents) are not footage and are left out.
  -- files.case_ids holds the cases the scan linked each file to (its device linked to the
  -- case in case_media, its recording started inside the window): an equi-join, not a
  -- range join over every file.
  SELECT unnest(string_to_array(f.case_ids, ',')) AS case_id, f.path, f.status
  FROM files f WHERE f.case_ids IS NOT NULL AND f.media_kind IS DISTINCT FROM 'document'
), high AS (
  SELECT path, count(*) AS n FROM findings WHERE severity = 'high' AND path IS NOT NULL GROUP BY path
), linked AS (
  -- one pass over the linked files: each file once per case, with its high findings counted
  SELECT m.case_id, count(*) AS files,
         sum(CASE WHEN m.status IN ('corrupt', 'truncated', 'unreadable') THEN 1 ELSE 0 END) AS damaged,
         sum(COALESCE(h.n, 0)) AS high_findings
  FROM media m LEFT JOIN high h ON h.path = m.path
  GROUP BY m.case_id
), per_case AS (
  SELECT c.case_id, c.kind, c.enterprise, c.credit_code,
         COALESCE(l.files, 0) AS files, COALESCE(l.damaged, 0) AS damaged,
         COALESCE(l.high_findings, 0) AS high_findings
  FROM cases c LEFT JOIN linked l ON l.case_id = c.case_id
  WHERE NOT COALESCE(c.confidential, false)
)
SELECT credit_code, enterprise,
       count(*) AS actions,
       sum(CASE WHEN kind = 'permit' THEN 1 ELSE 0 END) AS permits,
       sum(CASE WHEN kind = 'inspection' THEN 1 ELSE 0 END) AS inspections,
       sum(CASE WHEN kind = 'penalty' THEN 1 ELSE 0 END) AS penalties,
       sum(CASE WHEN kind = 'coercion' THEN 1 ELSE 0 END) AS coercive_measures,
       sum(CASE WHEN files > 0 THEN 1 ELSE 0 END) AS evidenced,
       sum(CASE WHEN files > 0 AND COALESCE(damaged, 0) = 0 AND high_findings = 0 THEN 1 ELSE 0 END) AS fully_evidenced,
       ROUND(CAST(sum(CASE WHEN files > 0 AND COALESCE(damaged, 0) = 0 AND high_findings = 0 THEN 1 ELSE 0 END) AS DOUBLE) / count(*), 3) AS evidenced_share
FROM per_case
GROUP BY credit_code, enterprise
ORDER BY credit_code
