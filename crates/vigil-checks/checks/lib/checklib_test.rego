package vigil.checklib_test

import data.vigil.checklib

test_seconds_reads_pacemaker_durations if {
	checklib.seconds("150") == 150
	checklib.seconds(144) == 144
	checklib.seconds("30s") == 30
	checklib.seconds("2min") == 120
	checklib.seconds("1500ms") == 1.5
	checklib.seconds("1h") == 3600
	not checklib.seconds("soon")
}

test_versions_compare_by_their_dotted_part if {
	checklib.version_at_least("2.1.5+20221208.a3f44794f-150500.6.14.4", "2.1.2")
	checklib.version_at_least("2.1.2", "2.1.2")
	checklib.version_at_least("2.10.0", "2.9.9")
	not checklib.version_at_least("2.0.5", "2.1")
	not checklib.version_at_least("0.161.1", "0.162.0")
}

test_booleans if {
	checklib.truthy("Yes")
	checklib.truthy(true)
	checklib.falsy("False")
	not checklib.truthy("no")
}

test_numbers_and_shown if {
	checklib.number("30000") == 30000
	checklib.number("-1") == -1
	checklib.number(5) == 5
	not checklib.number("5s")
	checklib.shown(null) == "not set"
	checklib.shown(5) == "5"
	checklib.shown(concat(", ", [])) == "none"
}
