-- purpose: recordings made at hazardous sites by devices that are not explosion-proof
-- article: 第八条 (no recording in explosive areas without explosion-proof devices)
-- A recording is at a case's site when its device is linked to the case (case_media) and it
-- started within the linked time window; the case's site is hazardous (cases.hazardous_site).
-- Documents of the case file (media_kind 'document', linked through a case folder or
-- case_documents) are not footage and are left out.
-- files.case_ids holds the cases the scan linked each file to (its device linked to the case
-- in case_media, its recording started inside the window): an equi-join, not a range join.
-- (The recording time is taken before the cases are unnested, so that the query also reads
-- well when written out for another engine: `recaudit query --sql-for duckdb`.)
WITH linked AS (
  SELECT f.case_ids, f.device_id, f.path,
         COALESCE(f.name_time, f.creation_time) AS recorded_at, f.duration_s, f.blake3
  FROM files f WHERE f.case_ids IS NOT NULL AND f.media_kind IS DISTINCT FROM 'document'
), media AS (
  SELECT unnest(string_to_array(l.case_ids, ',')) AS case_id, l.device_id, l.path,
         l.recorded_at, l.duration_s, l.blake3
  FROM linked l
)
SELECT c.case_id, c.site, m.device_id, d.model, m.path, m.recorded_at, m.duration_s, m.blake3
FROM media m
JOIN cases c ON c.case_id = m.case_id
LEFT JOIN devices d ON d.device_id = m.device_id
WHERE c.hazardous_site
  AND NOT COALESCE(d.explosion_proof, false)
ORDER BY c.case_id, m.recorded_at, m.path
