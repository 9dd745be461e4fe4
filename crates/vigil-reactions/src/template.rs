//! Templates of subjects, bodies and arguments, rendered against an action's context
//! (`event`, `enrichment`, `rule`, `execution_id`, `attempt`).
//!
//! The syntax is Jinja's, through `minijinja`: `{{ event.data.health }}`,
//! `{% if enrichment.host is defined %}…{% endif %}`, `{{ event.data | tojson }}`.
//! Undefined values are strict: a template naming a field the event does not have fails
//! with the expression that named it, instead of mailing an empty line. A failure to
//! render is permanent for the attempt ([`ActionError::Permanent`]): the same event and
//! template fail the same way on every retry.
//!
//! Rendering is bounded: the engine's fuel limits the work and memory a template may spend
//! (a loop over `range(10**9)` stops), and the output is capped at [`MAX_RENDERED_BYTES`].
//! Nothing is escaped: the outputs are plain text (a mail, a program's argument).
//! Templates cannot include or import others: each one stands alone.
//!
//! ```
//! use vigil_reactions::template;
//!
//! template::validate("subject", "Host {{ event.subject }} is {{ event.data.health }}").unwrap();
//! let context = serde_json::json!({"event": {"subject": "h1", "data": {"health": "critical"}}});
//! let text = template::render("subject", "Host {{ event.subject }} is {{ event.data.health }}", &context);
//! assert_eq!(text.unwrap(), "Host h1 is critical");
//! assert!(template::render("subject", "{{ event.data.missing }}", &context).is_err());
//! ```

use std::sync::LazyLock;

use minijinja::value::Serde;
use minijinja::value::ValueKind;
use minijinja::{AutoEscape, Environment, ErrorKind, Output, State, UndefinedBehavior};
use serde_json::Value;

use crate::action::ActionError;

/// The longest text one template may render to. A subject or an argument is far shorter;
/// a body quoting a whole event fits.
pub const MAX_RENDERED_BYTES: usize = 256 * 1024;

/// The work one rendering may do, in minijinja's fuel (about one unit per instruction and
/// per 64 bytes produced): far above any alert template, far below a runaway loop.
const FUEL: u64 = 500_000;

/// Why a template was refused or did not render; its text names the template and says
/// where and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("template {name}: {message}")]
pub struct TemplateError {
    /// Which template (`subject`, `body`, `args[1]`, ...).
    pub name: String,
    /// What is wrong, with the line and the expression when known.
    pub message: String,
}

impl From<TemplateError> for ActionError {
    fn from(error: TemplateError) -> Self {
        ActionError::Permanent(error.to_string())
    }
}

/// Checks that `source` compiles, so a syntax error is refused when the rule is loaded
/// rather than at its first event. Names that may be missing from an event are not
/// checked: only an event can tell.
pub fn validate(name: &str, source: &str) -> Result<(), TemplateError> {
    let compiler = environment();
    compiler.template_from_named_str(name, source).map_err(|e| explain(name, &e))?;
    // Filters, tests and functions are looked up when rendering, so a misspelt filter would
    // otherwise pass. A trial against an empty context, where every missing name is
    // undefined but usable, finds those on the paths an empty event takes; any other
    // failure of the trial is the missing event's, not the template's.
    let mut trial = environment();
    trial.set_undefined_behavior(UndefinedBehavior::Chainable);
    if let Err(error) = trial.render_named_str(name, source, minijinja::Value::UNDEFINED)
        && matches!(
            error.kind(),
            ErrorKind::UnknownFilter | ErrorKind::UnknownTest | ErrorKind::UnknownFunction | ErrorKind::UnknownMethod
        )
    {
        return Err(explain(name, &error));
    }
    Ok(())
}

/// Renders `source` against `context` (an object: its keys are the template's variables).
pub fn render(name: &str, source: &str, context: &Value) -> Result<String, TemplateError> {
    static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(environment);
    let rendered = ENVIRONMENT
        .render_named_str(name, source, minijinja::Value::from(Serde(context)))
        .map_err(|e| explain(name, &e))?;
    if rendered.len() > MAX_RENDERED_BYTES {
        return Err(TemplateError {
            name: name.to_owned(),
            message: format!("renders to {} bytes, more than the {MAX_RENDERED_BYTES} allowed", rendered.len()),
        });
    }
    Ok(rendered)
}

/// Renders the templates of one attempt against one context, converting the context once.
pub struct Renderer {
    context: Value,
}

impl Renderer {
    /// A renderer over `context`, usually [`ActionRequest::template_context`](crate::action::ActionRequest::template_context).
    pub fn new(context: Value) -> Self {
        Renderer { context }
    }

    /// Renders one template; a failure is permanent for the attempt.
    pub fn render(&self, name: &str, source: &str) -> Result<String, ActionError> {
        Ok(render(name, source, &self.context)?)
    }
}

fn environment<'source>() -> Environment<'source> {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    environment.set_auto_escape_callback(|_| AutoEscape::None);
    environment.set_fuel(Some(FUEL));
    environment.set_formatter(format_as_json_does);
    environment
}

/// Booleans and nulls print as JSON spells them (`false`, `null`), not as Python does
/// (`False`, `none`): the values come from JSON events, and their authors read JSON.
fn format_as_json_does(out: &mut Output, state: &mut State, value: &minijinja::Value) -> Result<(), minijinja::Error> {
    let spelled = match value.kind() {
        ValueKind::Bool if value.is_true() => "true",
        ValueKind::Bool => "false",
        ValueKind::None => "null",
        _ => return minijinja::escape_formatter(out, state, value),
    };
    out.write_str(spelled).map_err(|_| minijinja::Error::from(ErrorKind::WriteFailure))
}

fn explain(name: &str, error: &minijinja::Error) -> TemplateError {
    let mut message = match (error.kind(), error.detail()) {
        (ErrorKind::OutOfFuel, _) => {
            "takes too much work or memory to render (a loop too long, a value too large?)".to_owned()
        }
        (kind, Some(detail)) => format!("{kind}: {detail}"),
        (kind, None) => kind.to_string(),
    };
    if let Some(line) = error.line() {
        message.push_str(&format!(" at line {line}"));
    }
    TemplateError { name: name.to_owned(), message }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn context() -> Value {
        json!({
            "event": {
                "type": "HostHealthChanged",
                "subject": "host-1",
                "data": {"health": "critical", "checks": [{"name": "saptune", "ok": false}], "hostname": "vmhana01"},
            },
            "enrichment": {"host": {"tags": ["prod", "hana"]}},
            "rule": "mail-critical",
            "execution_id": "0190f0e0-0000-7000-8000-000000000001",
            "attempt": 2,
        })
    }

    fn check(source: &str, expected: &str) {
        assert_eq!(render("t", source, &context()).unwrap(), expected, "{source}");
    }

    fn check_error(source: &str, expected_parts: &[&str]) {
        let error = render("body", source, &context()).unwrap_err().to_string();
        for part in expected_parts {
            assert!(error.contains(part), "{source}: {error} lacks {part}");
        }
    }

    #[test]
    fn nested_event_data_renders() {
        check("{{ event.data.hostname }} is {{ event.data.health }}", "vmhana01 is critical");
        check("{{ event.data.checks[0].name }}={{ event.data.checks[0].ok }}", "saptune=false");
        check("{{ enrichment.host.tags | join(', ') }}", "prod, hana");
        check("{{ rule }} #{{ attempt }} {{ execution_id }}", "mail-critical #2 0190f0e0-0000-7000-8000-000000000001");
        check("{% for c in event.data.checks %}[{{ c.name }}]{% endfor %}", "[saptune]");
        check("{{ event.data.checks | tojson }}", r#"[{"name": "saptune", "ok": false}]"#);
        check("{{ event.data.checks[0].ok }} {{ none }} {{ true }}", "false null true");
    }

    #[test]
    fn plain_text_is_not_escaped() {
        let context = json!({"event": {"data": {"note": "<b>a & \"b\"</b>"}}});
        assert_eq!(render("body", "{{ event.data.note }}", &context).unwrap(), "<b>a & \"b\"</b>");
    }

    #[test]
    fn a_missing_field_fails_naming_the_template_the_line_and_the_expression() {
        check_error("Health: {{ event.data.healht }}", &["template body", "undefined", "line 1", "event.data.healht"]);
        check_error("a\nb\n{{ enrichment.cluster.name }}", &["line 3", "`enrichment.cluster` is undefined"]);
        check_error("{{ nothing }}", &["undefined", "nothing"]);
    }

    #[test]
    fn a_missing_field_is_a_permanent_action_error() {
        let renderer = Renderer::new(context());
        let error = renderer.render("subject", "{{ event.data.missing }}").unwrap_err();
        assert!(matches!(&error, ActionError::Permanent(m) if m.contains("event.data.missing")), "{error:?}");
    }

    #[test]
    fn optional_fields_can_be_tested_or_defaulted() {
        check("{% if event.data.missing is defined %}yes{% else %}no{% endif %}", "no");
        check("{{ event.data.missing | default('n/a') }}", "n/a");
    }

    #[test]
    fn a_syntax_error_is_refused_at_validation() {
        let error = validate("subject", "Host {{ event.subject ").unwrap_err();
        assert_eq!(error.name, "subject");
        assert!(error.message.contains("syntax error"), "{error}");
        assert!(validate("subject", "{% if x %}unclosed").is_err());
        assert!(validate("subject", "{{ x | no_such_filter }}").is_err());
        // A name the event may or may not have is fine at load time.
        validate("subject", "{{ event.data.anything.at.all }}").unwrap();
    }

    #[test]
    fn templates_cannot_include_others() {
        assert!(render("body", "{% include 'other' %}", &context()).is_err());
    }

    #[test]
    fn output_and_work_are_bounded() {
        let error = render("body", "{% for i in range(3000) %}{{ 'x' * 100 }}{% endfor %}", &context()).unwrap_err();
        assert!(error.message.contains("300000 bytes"), "{error}");
        let error = render(
            "body",
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            &context(),
        )
        .unwrap_err();
        assert!(error.message.contains("work"), "{error}");
    }

    #[test]
    fn odd_input_never_panics() {
        for source in
            ["{{", "}}", "{%", "{{ 1/0 }}", "{{ event[0] }}", "{{ event.data.checks[99] }}", "\u{0}", "{{ '\\x' }}"]
        {
            let _ = validate("t", source);
            let _ = render("t", source, &context());
        }
        let _ = render("t", "{{ event }}", &json!(null));
    }
}
