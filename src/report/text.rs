//! The report's words in Chinese (the default: the bureau's own language) and English. Article
//! numbers stay in Chinese in both, with their English gloss beside them.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// One label in both languages: `(key, Chinese, English)`.
const LABELS: &[(&str, &str, &str)] = &[
    (
        "title",
        "执法音像记录监督报告",
        "Enforcement recording supervision report",
    ),
    ("period", "统计期间", "Period"),
    ("previous", "上一期间", "Previous period"),
    ("units", "单位", "Units"),
    ("all_units", "全部单位", "all units"),
    ("generated", "生成时间", "Generated"),
    ("warehouse", "数据仓库", "Warehouse"),
    ("last_run", "最近一次扫描", "Latest scan"),
    ("contents", "目录", "Contents"),
    ("summary", "一、期间概况", "1. Summary of the period"),
    ("people", "二、单位与执法人员", "2. Units and officers"),
    ("devices", "三、记录仪逐日时间线", "3. Each recorder's days"),
    ("cases", "四、案件", "4. Cases"),
    ("findings_list", "五、问题明细", "5. Findings in detail"),
    ("footage", "音像记录", "Footage"),
    ("measure", "指标", "Measure"),
    ("current", "本期", "This period"),
    ("change", "变化", "Change"),
    ("files", "文件数", "Files"),
    ("hours", "记录时长（小时）", "Hours recorded"),
    ("sessions", "记录段（会话）", "Sessions"),
    (
        "findings_by_article",
        "问题（按条款和严重程度）",
        "Findings by article and severity",
    ),
    ("article", "条款", "Article"),
    ("severity", "严重程度", "Severity"),
    ("high", "严重", "high"),
    ("warn", "警告", "warn"),
    ("info", "提示", "info"),
    ("deadlines", "时限执行情况", "Deadline compliance"),
    ("upload", "上传（24小时内）", "Upload within 24 h"),
    (
        "classification",
        "分类、命名、描述（2个工作日内）",
        "Classified and described within 2 working days",
    ),
    (
        "archive",
        "结案后归档（30个工作日内）",
        "Archived within 30 working days of closing",
    ),
    ("judged", "应办", "due"),
    ("late", "逾期", "late"),
    ("on_time_share", "按时率", "on time"),
    (
        "on_time_share_previous",
        "上一期间按时率",
        "on time (previous period)",
    ),
    ("retention", "保存期限", "Retention"),
    (
        "due_for_disposal",
        "已满保存期可处置",
        "Past their keeping time (may be disposed of)",
    ),
    (
        "deleted_early",
        "未满保存期被删除",
        "Deleted before their time",
    ),
    ("custody", "保管链事件", "Custody events"),
    ("modified", "被修改", "modified"),
    ("deleted", "被删除", "deleted"),
    ("recycled", "被删入回收站", "deleted into a recycle bin"),
    ("purged", "回收站中清除", "emptied from a recycle bin"),
    (
        "duplicate_deleted",
        "删除重复副本（原内容仍在）",
        "a copy deleted (its bytes kept at another path)",
    ),
    ("moved", "被移动", "moved"),
    ("restored", "恢复", "restored"),
    ("metadata_changed", "属性变化", "metadata changed"),
    ("new", "新增", "new"),
    ("verified", "复核一致", "verified"),
    (
        "equipment",
        "记录仪配备（每2名执法人员1台）",
        "Recorders (one per two officers)",
    ),
    ("unit", "单位", "Unit"),
    ("devices_n", "记录仪", "Recorders"),
    ("officers_n", "执法人员", "Officers"),
    ("required_n", "应配", "Required"),
    ("meets", "达标", "Meets"),
    ("yes", "是", "yes"),
    ("no", "否", "no"),
    (
        "no_footage_cases",
        "无音像记录的案件",
        "Cases without footage",
    ),
    ("none", "无", "none"),
    ("officer", "执法人员", "Officer"),
    ("name", "姓名", "Name"),
    ("per_100h", "每百小时问题数", "Findings per 100 h"),
    ("prev_per_100h", "上期每百小时", "Previous per 100 h"),
    ("findings_n", "问题数", "Findings"),
    ("month", "月份", "Month"),
    ("score", "考评得分", "Score"),
    ("continuity", "连续性", "Continuity"),
    ("integrity", "完整性", "Integrity"),
    ("clean", "无严重问题", "Clean"),
    ("metadata", "元数据", "Metadata"),
    (
        "evaluation",
        "考评（第二十六条）",
        "Evaluation (第二十六条)",
    ),
    ("trend", "与上期相比", "Against the previous period"),
    ("legend", "图例", "Legend"),
    ("legend_session", "记录段", "session"),
    ("legend_gap", "中断或缺失片段", "gap or missing segment"),
    ("legend_overlap", "重叠", "overlap"),
    ("legend_finding", "其他问题", "other finding"),
    ("legend_photo", "照片", "photo"),
    (
        "no_devices",
        "本期间无记录仪记录。",
        "No recorder recorded in the period.",
    ),
    ("case", "案件", "Case"),
    ("kind", "类型", "Kind"),
    ("enterprise", "当事企业", "Enterprise"),
    ("opened", "立案", "Opened"),
    ("closed", "结案", "Closed"),
    ("integrity_status", "音像记录状态", "Footage"),
    ("completeness", "记录完整率", "Record complete"),
    ("missing_items", "缺少的记录", "Missing records"),
    ("no_cases", "本期间无案件。", "No case in the period."),
    ("no footage", "无音像记录", "no footage"),
    ("damaged", "有损坏文件", "damaged files"),
    ("complete", "完整", "complete"),
    ("permit", "行政许可", "permit"),
    ("inspection", "行政检查", "inspection"),
    ("penalty", "行政处罚", "penalty"),
    ("coercion", "行政强制", "coercion"),
    ("recordings", "案件音像记录时间线", "The case's recordings"),
    ("at", "时间", "Time"),
    ("file", "文件", "File"),
    ("message", "说明", "Message"),
    ("no_findings", "本期间无问题。", "No finding in the period."),
    ("device", "记录仪", "Recorder"),
    ("day", "日期", "Day"),
    (
        "more_findings",
        "另有问题未列出",
        "more findings not listed",
    ),
];

/// The label `key` in `lang` (the key itself when there is none, so that a missing label is
/// visible rather than blank).
pub fn t(lang: Lang, key: &str) -> String {
    LABELS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, zh, en)| match lang {
            Lang::Zh => *zh,
            Lang::En => *en,
        })
        .unwrap_or(key)
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_label_has_both_languages_and_keys_are_unique() {
        let mut keys = std::collections::HashSet::new();
        for (k, zh, en) in super::LABELS {
            assert!(keys.insert(k), "{k} twice");
            assert!(!zh.is_empty() && !en.is_empty(), "{k}");
        }
    }
}
