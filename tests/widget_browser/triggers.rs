//! Each trigger kind: the survey appears when it should and not when it should not.
