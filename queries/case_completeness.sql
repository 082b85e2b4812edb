-- purpose: per case, each checklist item of its kind (written records, moments on audio or video): present, missing or not applicable, the evidence found, and the case's completeness share
-- article: 第六条 (written records); 第七条 (audio-visual records); 第二十八条(一) (record not made as required)
-- param: case_id = % : a case id, or a LIKE pattern (default: every case)
-- param: status = % : present, missing or not_applicable, or a LIKE pattern (default: every item)
-- case_items is built by each scan from the checklist in force (built in, or checklist.csv and
-- evidence_words.csv of the context folder), case_documents, case_events, the classifications
-- of the case's recordings and the documents under its folders. An item applies when it is
-- required, or its condition holds (condition_met), or evidence for it was found; the
-- completeness share is the applicable items present over the applicable items.
WITH share AS (
  SELECT case_id,
         sum(CASE WHEN applies THEN 1 ELSE 0 END) AS applicable,
         sum(CASE WHEN applies AND status = 'present' THEN 1 ELSE 0 END) AS present
  FROM case_items GROUP BY case_id
)
SELECT i.case_id, i.case_kind, c.enterprise, i.case_closed,
       i.record, i.clause, i.item, i.name, i.gloss, i.requirement, i.condition_met,
       i.status, i.evidence_count, i.evidence,
       s.present AS items_present, s.applicable AS items_applicable,
       CASE WHEN s.applicable > 0 THEN round(CAST(s.present AS DOUBLE) / s.applicable, 3) END AS completeness
FROM case_items i
JOIN share s ON s.case_id = i.case_id
LEFT JOIN cases c ON c.case_id = i.case_id
WHERE i.case_id LIKE {{case_id}} AND i.status LIKE {{status}}
ORDER BY i.case_id, i.position
