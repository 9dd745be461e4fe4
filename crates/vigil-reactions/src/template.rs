//! Templates of subjects, bodies and arguments, rendered against an action's context
//! (`event`, `enrichment`, `rule`, `execution_id`, `attempt`).
