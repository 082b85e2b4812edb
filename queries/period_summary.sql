-- purpose: a period's totals beside the previous period of equal length: footage, sessions, findings by article and severity, deadline compliance, custody events, retention
-- article: 第二十五、二十六条 (supervision and evaluation of recording compliance); 第二十七条 (data for enforcement supervision)
-- param: from = 2026-03-01 : first day of the period (local date YYYY-MM-DD, inclusive)
-- param: to = 2026-04-01 : first day after the period (local date, exclusive)
-- param: units = % : the units to count, '|'-separated, or % for every unit
-- One row per section, measure and article, with the current and the previous period's values.
-- Days are local (UTC+8). Footage (video, audio, photo) and sessions count in the period of
-- their recording start, findings in the period of their `at`, custody events in the period
-- of the run that recorded them. Deadlines (第十六、十七、十八条): `judged` counts the footage
-- recorded in the period (for uploads, those with a known upload time) and the cases closed in
-- it; `late` the deadline findings; `on_time_share` = 1 - late / judged. Retention:
-- `due_for_disposal` = standard-class files whose keep_until passed before the period's end
-- (the previous period: before its end); `deleted_early` = 第二十二条 findings in the period.
-- The report (`recaudit report`) prints these rows.
WITH f AS (
  SELECT CASE WHEN COALESCE(name_time, creation_time) >= arrow_cast(to_timestamp({{from}}) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))') THEN 'current' ELSE 'previous' END AS p,
         duration_s, upload_time
  FROM files
  WHERE media_kind IN ('video', 'audio', 'photo')
    AND ({{units}} = '%' OR array_has(string_to_array({{units}}, '|'), unit))
    AND COALESCE(name_time, creation_time) < arrow_cast(to_timestamp({{to}}) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))')
    AND COALESCE(name_time, creation_time) >= arrow_cast(to_timestamp({{from}}) - (to_timestamp({{to}}) - to_timestamp({{from}})) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))')
), s AS (
  SELECT CASE WHEN start >= arrow_cast(to_timestamp({{from}}) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))') THEN 'current' ELSE 'previous' END AS p
  FROM sessions
  WHERE ({{units}} = '%' OR array_has(string_to_array({{units}}, '|'), unit))
    AND start < arrow_cast(to_timestamp({{to}}) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))')
    AND start >= arrow_cast(to_timestamp({{from}}) - (to_timestamp({{to}}) - to_timestamp({{from}})) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))')
), fi AS (
  SELECT CASE WHEN at >= arrow_cast(to_timestamp({{from}}) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))') THEN 'current' ELSE 'previous' END AS p,
         kind, severity, article, article_gloss
  FROM findings
  WHERE ({{units}} = '%' OR array_has(string_to_array({{units}}, '|'), unit))
    AND at < arrow_cast(to_timestamp({{to}}) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))')
    AND at >= arrow_cast(to_timestamp({{from}}) - (to_timestamp({{to}}) - to_timestamp({{from}})) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))')
), ce AS (
  SELECT CASE WHEN at >= arrow_cast(to_timestamp({{from}}) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))') THEN 'current' ELSE 'previous' END AS p,
         event
  FROM custody_events
  -- a custody event names the device, not the unit: the device's unit in the catalogue
  WHERE ({{units}} = '%' OR device_id IN (SELECT DISTINCT device_id FROM files
                                          WHERE array_has(string_to_array({{units}}, '|'), unit)))
    AND at < arrow_cast(to_timestamp({{to}}) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))')
    AND at >= arrow_cast(to_timestamp({{from}}) - (to_timestamp({{to}}) - to_timestamp({{from}})) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))')
), closed AS (
  SELECT CASE WHEN closed >= CAST({{from}} AS DATE) THEN 'current' ELSE 'previous' END AS p
  FROM cases
  WHERE closed < CAST({{to}} AS DATE)
    AND closed >= CAST(to_timestamp({{from}}) - (to_timestamp({{to}}) - to_timestamp({{from}})) AS DATE)
), deadline AS (
  SELECT 'upload' AS measure, '第十六条' AS article, p,
         CAST(sum(CASE WHEN upload_time IS NOT NULL THEN 1 ELSE 0 END) AS DOUBLE) AS judged,
         CAST(0 AS DOUBLE) AS late FROM f GROUP BY p
  UNION ALL SELECT 'upload', '第十六条', p, 0, count(*) FROM fi WHERE kind = 'late_upload' GROUP BY p
  UNION ALL SELECT 'classification', '第十七条', p, count(*), 0 FROM f GROUP BY p
  UNION ALL SELECT 'classification', '第十七条', p, 0, count(*) FROM fi WHERE kind = 'late_classification' GROUP BY p
  UNION ALL SELECT 'archive', '第十八条', p, count(*), 0 FROM closed GROUP BY p
  UNION ALL SELECT 'archive', '第十八条', p, 0, count(*) FROM fi WHERE kind = 'late_archive' GROUP BY p
), rows AS (
  SELECT 'footage' AS section, 'files' AS measure, CAST(NULL AS VARCHAR) AS article, CAST(NULL AS VARCHAR) AS article_gloss, p, CAST(count(*) AS DOUBLE) AS v FROM f GROUP BY p
  UNION ALL SELECT 'footage', 'hours', NULL, NULL, p, round(sum(COALESCE(duration_s, 0)) / 3600.0, 2) FROM f GROUP BY p
  UNION ALL SELECT 'footage', 'sessions', NULL, NULL, p, CAST(count(*) AS DOUBLE) FROM s GROUP BY p
  UNION ALL SELECT 'findings', severity, article, min(article_gloss), p, CAST(count(*) AS DOUBLE) FROM fi GROUP BY severity, article, p
  UNION ALL SELECT 'deadlines', measure || '_judged', min(article), NULL, p, sum(judged) FROM deadline GROUP BY measure, p
  UNION ALL SELECT 'deadlines', measure || '_late', min(article), NULL, p, sum(late) FROM deadline GROUP BY measure, p
  UNION ALL SELECT 'deadlines', measure || '_on_time_share', min(article), NULL, p,
                   CASE WHEN sum(judged) > 0 THEN round(1 - sum(late) / sum(judged), 3) END FROM deadline GROUP BY measure, p
  UNION ALL SELECT 'custody', event, '第二十八条(三)', NULL, p, CAST(count(*) AS DOUBLE) FROM ce GROUP BY event, p
  UNION ALL SELECT 'retention', 'deleted_early', '第二十二条', NULL, p, CAST(count(*) AS DOUBLE) FROM fi WHERE kind = 'deleted_before_retention' GROUP BY p
  UNION ALL SELECT 'retention', 'due_for_disposal', '第二十二条', NULL, 'current',
                   CAST(sum(CASE WHEN keep_until < arrow_cast(to_timestamp({{to}}) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))') THEN 1 ELSE 0 END) AS DOUBLE)
            FROM files WHERE retention_class = 'standard' AND ({{units}} = '%' OR array_has(string_to_array({{units}}, '|'), unit))
  UNION ALL SELECT 'retention', 'due_for_disposal', '第二十二条', NULL, 'previous',
                   CAST(sum(CASE WHEN keep_until < arrow_cast(to_timestamp({{from}}) - INTERVAL '8 hours', 'Timestamp(Microsecond, Some("UTC"))') THEN 1 ELSE 0 END) AS DOUBLE)
            FROM files WHERE retention_class = 'standard' AND ({{units}} = '%' OR array_has(string_to_array({{units}}, '|'), unit))
)
SELECT section, measure, article, min(article_gloss) AS article_gloss,
       -- a share with nothing judged is unknown (NULL), a count of nothing is 0
       CASE WHEN measure LIKE '%share' THEN sum(CASE WHEN p = 'current' THEN v END)
            ELSE COALESCE(sum(CASE WHEN p = 'current' THEN v END), 0) END AS current,
       CASE WHEN measure LIKE '%share' THEN sum(CASE WHEN p = 'previous' THEN v END)
            ELSE COALESCE(sum(CASE WHEN p = 'previous' THEN v END), 0) END AS previous
FROM rows
GROUP BY section, measure, article
ORDER BY CASE section WHEN 'footage' THEN 1 WHEN 'findings' THEN 2 WHEN 'deadlines' THEN 3 WHEN 'custody' THEN 4 ELSE 5 END,
         article, measure
