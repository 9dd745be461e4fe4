# Helpers every check may import (`import data.vigil.checklib`). Compiled with each check.
package vigil.checklib

# The result of a check: passing when `ok`, else the check's severity.
verdict(metadata, ok, message, observed, expected) := {
	"status": "passing",
	"message": message,
	"observed": observed,
	"expected": expected,
} if ok

verdict(metadata, ok, message, observed, expected) := {
	"status": metadata.severity,
	"message": message,
	"observed": observed,
	"expected": expected,
} if not ok

# A cluster property (crm_config cib-bootstrap-options), or null when not set.
property(name) := object.get(input.cluster.properties, name, null)

# A setting of /etc/sysconfig/sbd as discovered, or null.
sbd(name) := object.get(input.cluster.sbd_config, name, null)

# Every CIB primitive of one agent type (`SAPHana`, `external/sbd`, …).
resources_of_type(types) := [r | some r in input.cluster.resources; r.type in types]

# The HANA resources: SAPHana (classic) and SAPHanaController (angi, scale-out).
hana_resources := resources_of_type({"SAPHana", "SAPHanaController"})

# Pacemaker's and sysconfig's booleans. Predicates here are true or false, never
# undefined, so they can be handed to `verdict` as its `ok`.
truthy(value) := lower(sprintf("%v", [value])) in {"true", "yes", "on", "1", "y"}

falsy(value) := lower(sprintf("%v", [value])) in {"false", "no", "off", "0", "n"}

# A Pacemaker duration in seconds: a number, or a string with an optional unit
# (ms, msec, s, sec, m, min, h, hr); undefined when it is neither.
seconds(value) := value if is_number(value)

seconds(value) := to_number(value) if {
	is_string(value)
	plain_number(value)
}

seconds(value) := s if {
	is_string(value)
	some unit, factor in {"ms": 0.001, "msec": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600}
	endswith(value, unit)
	number := trim_suffix(value, unit)
	plain_number(number)
	not longer_unit(value, unit)
	s := to_number(number) * factor
}

# `30ms` also ends with `s`; only the longest unit that matches is read.
longer_unit(value, unit) if {
	some other in {"ms", "msec", "sec", "min", "hr"}
	other != unit
	endswith(value, other)
	count(other) > count(unit)
}

# Whether a string is a plain non-negative number (digits with at most one dot).
plain_number(text) if {
	text != ""
	parts := split(text, ".")
	count(parts) <= 2
	every part in parts {
		part != ""
		every c in split(part, "") {
			c in {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
		}
	}
}

# A version as a comparable number: the dotted part before any `+` or `-` (so
# `2.1.5+20221208.a3f44794f-150500.6.14.4` is 2.1.5), each component below 1000.
version_key(version) := key if {
	base := split(split(sprintf("%v", [version]), "+")[0], "-")[0]
	parts := split(base, ".")
	weights := [1000000000, 1000000, 1000, 1]
	terms := [term |
		some i in numbers.range(0, min([count(parts), 4]) - 1)
		plain_number(parts[i])
		term := to_number(parts[i]) * weights[i]
	]
	key := sum(terms)
}

# False also when either is not a version.
default version_at_least(_, _) := false

version_at_least(version, minimum) := version_key(version) >= version_key(minimum)

# A number from a number or a numeric string (`"30000"`, `"-1"`); undefined otherwise.
number(value) := value if is_number(value)

number(value) := to_number(value) if {
	is_string(value)
	plain_number(value)
}

number(value) := 0 - to_number(trim_prefix(value, "-")) if {
	is_string(value)
	startswith(value, "-")
	plain_number(trim_prefix(value, "-"))
}

# A value for a message: `not set` for null, `none` for an empty string (an empty list
# joined with concat).
shown(value) := "not set" if value == null

shown(value) := "none" if value == ""

shown(value) := sprintf("%v", [value]) if not value in {null, ""}

# Whether the cluster has exactly two nodes (the case fencing races and two_node are about).
two_nodes := count(input.cluster.nodes) == 2

# Whether a fact is a gatherer's `{"error": {"type", "message"}}` rather than a value. Only
# the answers that something is not there reach a check (`value_not_found`: a key not set, a
# host not listed; `package_not_installed`); the evaluator reports every other error as
# not_gathered before the check runs.
fact_is_error(name) if {
	is_object(input.facts[name])
	count(input.facts[name]) == 1
	is_object(input.facts[name].error)
}

# A fact's value, or null when the gatherer answered that it is not there.
#
# The functions below are defined for every argument by complementary rules, not with
# `default`: the bytecode VM production runs does not apply a function's default (the
# interpreter does), so a default function is undefined there.
fact(name) := input.facts[name] if not fact_is_error(name)

fact(name) := null if fact_is_error(name)

# The error type of a fact (`value_not_found`, `package_not_installed`), or null for a value.
fact_error(name) := input.facts[name].error.type if fact_is_error(name)

fact_error(name) := null if not fact_is_error(name)

# The version (`2.4.6`, without release) of a `package_version` fact, or null when the
# package is not installed.
package_version(name) := fact(name).version if is_object(fact(name))

package_version(name) := null if not is_object(fact(name))

# Whether a `package_version` fact says the package is not installed.
not_installed(name) := fact_error(name) == "package_not_installed"
