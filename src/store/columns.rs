//! The core's enums as they are stored: text columns that read back into
//! the enum, where an unknown value is a decode error (never a silent
//! default such as "incomplete").

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::{Decode, Encode, Postgres, Type};

use crate::recovery::state::State;
use crate::recovery::transitions::{Awaiting, CheckStatus};

macro_rules! text_column {
    ($t:ty, $what:literal) => {
        impl Type<Postgres> for $t {
            fn type_info() -> PgTypeInfo {
                <&str as Type<Postgres>>::type_info()
            }

            fn compatible(ty: &PgTypeInfo) -> bool {
                <&str as Type<Postgres>>::compatible(ty)
            }
        }

        impl<'r> Decode<'r, Postgres> for $t {
            fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <&str as Decode<Postgres>>::decode(value)?;
                <$t>::parse(text).ok_or_else(|| format!("unknown {} {text:?}", $what).into())
            }
        }

        impl Encode<'_, Postgres> for $t {
            fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <&str as Encode<Postgres>>::encode(self.as_str(), buf)
            }
        }
    };
}

text_column!(State, "request state");
text_column!(Awaiting, "awaiting reason");
text_column!(CheckStatus, "check status");

/// As their stored text, for `requests show --format json` and the like.
macro_rules! text_serialize {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

text_serialize!(Awaiting);
text_serialize!(CheckStatus);

#[cfg(test)]
mod tests {
    use super::*;

    #[sqlx::test(migrations = false)]
    async fn unknown_values_do_not_read_as_a_default(pool: sqlx::PgPool) {
        let state: State = sqlx::query_scalar("SELECT 'awaiting_user'::text")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(state, State::AwaitingUser);
        let bad = sqlx::query_scalar::<_, State>("SELECT 'approvedd'::text")
            .fetch_one(&pool)
            .await;
        assert!(bad.is_err(), "{bad:?}");
        let back: String = sqlx::query_scalar("SELECT $1::text")
            .bind(Awaiting::Repo)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(back, "repo");
        let status: Option<CheckStatus> = sqlx::query_scalar("SELECT NULL::text")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(status, None);
    }
}
