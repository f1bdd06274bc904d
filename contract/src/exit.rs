//! The exit statuses that carry a [`FailureKind`]: the one mapping both ways, shared by the
//! `ecluse-cred-mint` helper (which exits with its failure's status), `ecluse-cred` (which
//! reads the helper's status, and ends a caller left without a token with it: its `Code`
//! takes these numbers, 69 excepted), and a `command` mint that exits 69 or 77.

use crate::mint::FailureKind;

/// 75 (sysexits' EX_TEMPFAIL): a transient failure; retrying later may work.
pub const TEMPFAIL: u8 = 75;
/// 69 (EX_UNAVAILABLE): the token API answered that it is failing (throttled, 5xx): transient
/// for every host that asks it. A caller is still ended with [`TEMPFAIL`].
pub const UNAVAILABLE: u8 = 69;
/// 77 (EX_NOPERM): the backend rejected the caller's credentials.
pub const NOPERM: u8 = 77;
/// 78 (EX_CONFIG): the settings are wrong; retrying will not help.
pub const CONFIG: u8 = 78;

impl FailureKind {
    /// The exit status that says this kind of failure.
    pub fn exit_status(self) -> u8 {
        match self {
            FailureKind::Transient | FailureKind::FleetFailing => TEMPFAIL,
            FailureKind::Unavailable => UNAVAILABLE,
            FailureKind::Rejected => NOPERM,
            FailureKind::Misconfigured => CONFIG,
        }
    }

    /// The failure kind a mint program's exit status means: 69, 77 and 78 as above, anything
    /// else (1, 75, a signal: `None`) transient.
    pub fn from_exit_status(status: Option<i32>) -> FailureKind {
        match status {
            Some(s) if s == i32::from(UNAVAILABLE) => FailureKind::Unavailable,
            Some(s) if s == i32::from(NOPERM) => FailureKind::Rejected,
            Some(s) if s == i32::from(CONFIG) => FailureKind::Misconfigured,
            _ => FailureKind::Transient,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_kind_survives_its_exit_status_and_other_statuses_are_transient() {
        for kind in [
            FailureKind::Transient,
            FailureKind::Unavailable,
            FailureKind::Rejected,
            FailureKind::Misconfigured,
        ] {
            let status = Some(i32::from(kind.exit_status()));
            assert_eq!(FailureKind::from_exit_status(status), kind);
        }
        assert_eq!(
            (UNAVAILABLE, TEMPFAIL, NOPERM, CONFIG),
            (69, 75, 77, 78),
            "the documented exit codes"
        );
        for other in [Some(0), Some(1), Some(2), Some(126), None] {
            assert_eq!(FailureKind::from_exit_status(other), FailureKind::Transient);
        }
    }
}
