-- purpose: recordings made at hazardous sites by devices that are not explosion-proof
-- article: 第八条 (no recording in explosive areas without explosion-proof devices)
-- A recording is at a case's site when its device is linked to the case (case_media) and it
-- started within the linked time window; the case's site is hazardous (cases.hazardous_site).
SELECT c.case_id, c.site, f.device_id, d.model, f.path,
       COALESCE(f.name_time, f.creation_time) AS recorded_at,
       f.duration_s, f.blake3
FROM case_media cm
JOIN cases c ON c.case_id = cm.case_id
JOIN files f ON f.device_id = cm.device_id
            AND COALESCE(f.name_time, f.creation_time) >= cm."from"
            AND COALESCE(f.name_time, f.creation_time) <= cm."to"
LEFT JOIN devices d ON d.device_id = f.device_id
WHERE c.hazardous_site
  AND NOT COALESCE(d.explosion_proof, false)
ORDER BY c.case_id, recorded_at, f.path
