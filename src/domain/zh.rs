//! Chinese names for the values of the simulator's vocabulary (personas, industries, lead
//! sources), for text shown in Chinese: talk-track reasons, the dashboard. A CRM's own values
//! outside this set are shown as the data writes them — a Chinese CRM writes them in Chinese
//! already.

/// A persona: `finance` → 财务负责人.
pub fn persona(p: &str) -> &str {
    match p {
        "manager" => "部门经理",
        "end_user" => "一线使用者",
        "executive" => "高管",
        "procurement" => "采购",
        "finance" => "财务负责人",
        other => other,
    }
}

/// An industry as a noun phrase: `retail` → 零售行业.
pub fn industry(i: &str) -> String {
    let zh = match i {
        "manufacturing" => "制造",
        "retail" => "零售",
        "finance" => "金融",
        "technology" => "科技",
        "healthcare" => "医疗",
        "education" => "教育",
        "logistics" => "物流",
        other => return format!("{other} 行业"),
    };
    format!("{zh}行业")
}

/// A lead source (channel): `referral` → 转介绍.
pub fn source(s: &str) -> &str {
    match s {
        "cold_visit" => "陌生拜访",
        "referral" => "转介绍",
        "inbound" => "主动咨询",
        "event" => "会议活动",
        "partner" => "渠道伙伴",
        "paid_ads" => "付费广告",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_values_are_translated_and_others_kept() {
        assert_eq!(super::persona("finance"), "财务负责人");
        assert_eq!(super::industry("finance"), "金融行业");
        assert_eq!(super::industry("mining"), "mining 行业");
        assert_eq!(super::source("referral"), "转介绍");
        assert_eq!(super::source("抖音"), "抖音");
    }
}
