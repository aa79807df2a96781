//! The built-in talk-track catalog.

use leadcast::catalog::Catalog;
use leadcast::domain::Stage;

#[test]
fn catalog_covers_every_stage_in_both_languages() {
    let c = Catalog::builtin();
    assert!(c.len() >= 40, "{} tracks", c.len());
    for s in Stage::ALL {
        assert!(c.tracks().iter().any(|t| t.stage == *s), "no track for stage {s}");
    }
    for t in c.tracks() {
        for (what, text) in [
            ("title_zh", &t.title_zh),
            ("title_en", &t.title_en),
            ("script_zh", &t.script_zh),
            ("script_en", &t.script_en),
            ("kind", &t.kind),
        ] {
            assert!(!text.trim().is_empty(), "{} has an empty {what}", t.id);
        }
        assert!(
            t.script_zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{}: script_zh has no Chinese",
            t.id
        );
        assert!(
            t.script_en.is_ascii() || t.script_en.chars().filter(|c| c.is_ascii_alphabetic()).count() > 100,
            "{}: script_en",
            t.id
        );
    }
    // Every context a rep can be in has at least two tracks to choose from.
    for s in Stage::ALL {
        let mut objections: Vec<_> = c.tracks().iter().filter(|t| t.stage == *s).map(|t| t.objection).collect();
        objections.dedup();
        for o in objections {
            assert!(c.candidates(*s, o).count() >= 2, "stage {s} objection {o:?} has one track");
        }
    }
    // The moves a director expects: SPIN, objection handling, the urgency close, the referral
    // ask, collection reminders.
    for kind in [
        "spin_situation",
        "spin_problem",
        "spin_implication",
        "spin_need_payoff",
        "objection",
        "closing",
        "referral",
        "collection",
    ] {
        assert!(c.tracks().iter().any(|t| t.kind == kind), "no {kind} track");
    }
}
