-- purpose: recorders per enforcement officer in every unit, against the one-per-two-officers standard
-- article: 第十五条 (one recorder per two enforcement staff)
-- Counts recorders in service (not retired) and active officers per unit; a unit meets the
-- standard when devices >= officers / 2. Units with officers but no devices appear too. A
-- fixed camera of the registry (kind `cctv`: the permit hall's video surveillance, the
-- article's second paragraph) is no recorder and is not counted.
WITH d AS (
  SELECT unit, count(*) AS devices
  FROM devices
  WHERE (retired IS NULL OR retired >= current_date())
    AND COALESCE(kind, 'recorder') = 'recorder'
  GROUP BY unit
), o AS (
  SELECT unit, count(*) AS officers
  FROM officers
  WHERE active IS NULL OR active
  GROUP BY unit
)
SELECT COALESCE(o.unit, d.unit) AS unit,
       COALESCE(d.devices, 0) AS devices,
       COALESCE(o.officers, 0) AS officers,
       CAST(CEIL(COALESCE(o.officers, 0) / 2.0) AS BIGINT) AS devices_required,
       CASE WHEN COALESCE(o.officers, 0) = 0 THEN NULL
            ELSE ROUND(CAST(COALESCE(d.devices, 0) AS DOUBLE) / o.officers, 2) END AS devices_per_officer,
       COALESCE(d.devices, 0) * 2 >= COALESCE(o.officers, 0) AS meets_standard
FROM o FULL OUTER JOIN d ON o.unit = d.unit
ORDER BY unit
