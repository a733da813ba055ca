//! The widget's own words (buttons, scale ends), in the languages we ship. Survey texts come
//! from the site config; these fill in around them, in the same language as the questions.

use tenpoint_shared::config::Survey;
use tenpoint_shared::flow::primary_language;

pub struct Strings {
    pub lang: &'static str,
    pub close: &'static str,
    pub next: &'static str,
    pub send: &'static str,
    pub skip: &'static str,
    pub thanks: &'static str,
    /// Ends of the 0–10 scale.
    pub nps: [&'static str; 2],
    pub csat: [&'static str; 2],
    pub ces: [&'static str; 2],
    pub gap: [&'static str; 2],
    /// The two ratings of a GAP aspect.
    pub expected: &'static str,
    pub experienced: &'static str,
}

pub const ALL: [Strings; 8] = [
    Strings {
        lang: "en",
        close: "Close",
        next: "Next",
        send: "Send",
        skip: "Skip",
        thanks: "Thank you!",
        nps: ["Not at all likely", "Extremely likely"],
        csat: ["Very dissatisfied", "Very satisfied"],
        ces: ["Very difficult", "Very easy"],
        gap: ["Poor", "Excellent"],
        expected: "What you expected",
        experienced: "What you got",
    },
    Strings {
        lang: "ru",
        close: "Закрыть",
        next: "Далее",
        send: "Отправить",
        skip: "Пропустить",
        thanks: "Спасибо!",
        nps: ["Совсем маловероятно", "Очень вероятно"],
        csat: ["Очень недоволен", "Очень доволен"],
        ces: ["Очень сложно", "Очень легко"],
        gap: ["Плохо", "Отлично"],
        expected: "Чего вы ожидали",
        experienced: "Что вы получили",
    },
    Strings {
        lang: "pl",
        close: "Zamknij",
        next: "Dalej",
        send: "Wyślij",
        skip: "Pomiń",
        thanks: "Dziękujemy!",
        nps: ["Bardzo mało prawdopodobne", "Bardzo prawdopodobne"],
        csat: ["Bardzo niezadowolony", "Bardzo zadowolony"],
        ces: ["Bardzo trudno", "Bardzo łatwo"],
        gap: ["Słabo", "Doskonale"],
        expected: "Czego oczekiwałeś",
        experienced: "Co otrzymałeś",
    },
    Strings {
        lang: "nb",
        close: "Lukk",
        next: "Neste",
        send: "Send",
        skip: "Hopp over",
        thanks: "Takk!",
        nps: ["Svært lite sannsynlig", "Svært sannsynlig"],
        csat: ["Svært misfornøyd", "Svært fornøyd"],
        ces: ["Svært vanskelig", "Svært enkelt"],
        gap: ["Dårlig", "Utmerket"],
        expected: "Det du forventet",
        experienced: "Det du fikk",
    },
    Strings {
        lang: "de",
        close: "Schließen",
        next: "Weiter",
        send: "Senden",
        skip: "Überspringen",
        thanks: "Vielen Dank!",
        nps: ["Überhaupt nicht wahrscheinlich", "Äußerst wahrscheinlich"],
        csat: ["Sehr unzufrieden", "Sehr zufrieden"],
        ces: ["Sehr schwierig", "Sehr einfach"],
        gap: ["Schlecht", "Ausgezeichnet"],
        expected: "Was Sie erwartet haben",
        experienced: "Was Sie erlebt haben",
    },
    Strings {
        lang: "es",
        close: "Cerrar",
        next: "Siguiente",
        send: "Enviar",
        skip: "Omitir",
        thanks: "¡Gracias!",
        nps: ["Nada probable", "Muy probable"],
        csat: ["Muy insatisfecho", "Muy satisfecho"],
        ces: ["Muy difícil", "Muy fácil"],
        gap: ["Malo", "Excelente"],
        expected: "Lo que esperaba",
        experienced: "Lo que obtuvo",
    },
    Strings {
        lang: "fr",
        close: "Fermer",
        next: "Suivant",
        send: "Envoyer",
        skip: "Passer",
        thanks: "Merci\u{a0}!",
        nps: ["Pas du tout probable", "Très probable"],
        csat: ["Très insatisfait", "Très satisfait"],
        ces: ["Très difficile", "Très facile"],
        gap: ["Mauvais", "Excellent"],
        expected: "Ce que vous attendiez",
        experienced: "Ce que vous avez eu",
    },
    Strings {
        lang: "uk",
        close: "Закрити",
        next: "Далі",
        send: "Надіслати",
        skip: "Пропустити",
        thanks: "Дякуємо!",
        nps: ["Зовсім малоймовірно", "Дуже ймовірно"],
        csat: ["Дуже незадоволений", "Дуже задоволений"],
        ces: ["Дуже складно", "Дуже легко"],
        gap: ["Погано", "Відмінно"],
        expected: "Чого ви очікували",
        experienced: "Що ви отримали",
    },
];

/// Strings for a language, English when we do not ship it.
pub fn strings(locale: &str) -> &'static Strings {
    let lang = primary_language(locale);
    ALL.iter()
        .find(|s| s.lang.eq_ignore_ascii_case(lang))
        .unwrap_or(&ALL[0])
}

/// The locale a survey is shown in: the visitor's when the survey's first question has a text
/// in that language, else the site's default — so the buttons never speak another language
/// than the question above them.
pub fn survey_locale<'a>(survey: &Survey, visitor: &'a str, default_locale: &'a str) -> &'a str {
    let lang = primary_language(visitor);
    let has = survey.questions.first().is_some_and(|q| {
        q.text
            .0
            .keys()
            .any(|k| primary_language(k).eq_ignore_ascii_case(lang))
    });
    if has { visitor } else { default_locale }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenpoint_shared::config::parse;

    #[test]
    fn every_language_has_every_string() {
        for s in &ALL {
            let all = [
                s.close,
                s.next,
                s.send,
                s.skip,
                s.thanks,
                s.nps[0],
                s.nps[1],
                s.csat[0],
                s.csat[1],
                s.ces[0],
                s.ces[1],
                s.gap[0],
                s.gap[1],
                s.expected,
                s.experienced,
            ];
            assert!(all.iter().all(|t| !t.trim().is_empty()), "{}", s.lang);
        }
        let langs: Vec<&str> = ALL.iter().map(|s| s.lang).collect();
        assert_eq!(langs, ["en", "ru", "pl", "nb", "de", "es", "fr", "uk"]);
    }

    #[test]
    fn lookup_by_language() {
        assert_eq!(strings("nb-NO").close, "Lukk");
        assert_eq!(strings("DE").close, "Schließen");
        assert_eq!(strings("ja").close, "Close");
    }

    #[test]
    fn buttons_follow_the_question_language() {
        let src = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/sites/demo-shop.json"
        ))
        .unwrap();
        let cfg = parse(&src).unwrap();
        let purchase = cfg.survey("post-purchase").unwrap();
        assert_eq!(survey_locale(purchase, "ru-RU", "en"), "ru-RU");
        assert_eq!(survey_locale(purchase, "de", "en"), "en");
        let effort = cfg.survey("cart-effort").unwrap();
        assert_eq!(survey_locale(effort, "nb", "en"), "en");
    }
}
