use super::model::{Appearance, SiteConfig, Survey};
use serde::{Deserialize, Serialize};

/// The part of a site config that browsers receive. Built by copying fields in, never by
/// removing secret ones, so a field added to `SiteConfig` later stays private by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "api-schema", derive(schemars::JsonSchema))]
pub struct PublicConfig {
    pub site: String,
    pub default_locale: String,
    pub cooldown_days: u32,
    pub appearance: Appearance,
    /// Enabled surveys only: a paused survey is nobody's business.
    pub surveys: Vec<Survey>,
}

impl From<&SiteConfig> for PublicConfig {
    fn from(c: &SiteConfig) -> Self {
        PublicConfig {
            site: c.site.clone(),
            default_locale: c.default_locale.clone(),
            cooldown_days: c.cooldown_days,
            appearance: c.appearance.clone(),
            surveys: c.surveys.iter().filter(|s| s.enabled).cloned().collect(),
        }
    }
}
