//! Outgoing mail over SMTP (lettre).

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// `smtp_url`: `smtp://host:port` (plain), `smtp://…?tls=required`
    /// (STARTTLS) or `smtps://host` (TLS), with optional `user:pass@`.
    pub fn new(smtp_url: &SecretString, from: &str) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url.expose_secret())
            .map_err(|e| anyhow::anyhow!("invalid SMTP_URL: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from
            .parse()
            .map_err(|e| anyhow::anyhow!("invalid MAIL_FROM: {e}"))?;
        Ok(Self { transport, from })
    }

    pub async fn send(&self, to: &str, subject: &str, body: String) -> anyhow::Result<()> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| anyhow::anyhow!("the account's address is not a valid email address"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .reply_to(self.from.clone())
            .to(to)
            // A fresh `<random@host>` id, as mail servers and filters expect.
            .message_id(None)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)?;
        // The server's words may quote the recipient: keep them out of
        // errors, which end up in logs and in the job table.
        let sent = self.transport.send(message).await;
        metrics::counter!(
            crate::observe::MAILS,
            "outcome" => if sent.is_ok() { "sent" } else { "failed" }
        )
        .increment(1);
        sent.map_err(|e| {
            let kind = if e.is_permanent() {
                "permanent"
            } else if e.is_transient() {
                "transient"
            } else {
                "connection"
            };
            anyhow::anyhow!("sending mail failed ({kind} SMTP error)")
        })?;
        Ok(())
    }
}
