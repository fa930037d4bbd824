//! Trust roots: keys, roles, thresholds, logs, witnesses and rotation.
