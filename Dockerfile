# syntax=docker/dockerfile:1
#
# recovery-bot: one static-ish binary on a slim Debian, run as a non-root user.
#
#   docker build -t recovery-bot .
#   docker run --rm -p 127.0.0.1:3000:3000 --env-file ./env recovery-bot
#
# Publish on 127.0.0.1 only, behind a reverse proxy for TLS (see
# docs/operator-guide.md): a bare `-p 3000:3000` opens plain HTTP, and with it
# /metrics and the emailed links, on every address of the host (Docker's own
# firewall rules bypass ufw's).
#
# `serve` applies the database migrations before it listens, so there is no
# separate migration step; `docker run --rm --env-file ./env recovery-bot migrate`
# applies them alone.

# ---- build ------------------------------------------------------------------
FROM rust:1-bookworm AS build
WORKDIR /src

# Only what the release binary is built from. The migrations and the default
# issue form are compiled into the binary (sqlx::migrate!, include_str!), so
# nothing else is needed at run time. Cargo.toml declares the bench
# benches/parse.rs; it is copied so that every target the manifest names exists.
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY issue-templates ./issue-templates
COPY benches ./benches

# The caches keep the registry and the target directory between builds on one
# builder; the binary is copied out of the cached target in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
 && install -D -m 0755 target/release/recovery-bot /out/recovery-bot

# ---- runtime ----------------------------------------------------------------
FROM debian:bookworm-slim

# ca-certificates: the root certificates for TLS to GitHub, the mail server,
# the account directory and PostgreSQL. Nothing else: the health check below
# uses bash, which the image already has.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 recovery-bot \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin recovery-bot

COPY --from=build /out/recovery-bot /usr/local/bin/recovery-bot

# The default (127.0.0.1:3000) would be unreachable from outside the container.
ENV BIND_ADDR=0.0.0.0:3000
EXPOSE 3000

USER 10001:10001

# GET /healthz on the port the binary binds (taken from BIND_ADDR, so the check
# follows a changed port). The image has no curl; bash's /dev/tcp speaks the
# one HTTP/1.1 request, and the check passes only on a 200 status line.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "host=${BIND_ADDR%:*}; port=${BIND_ADDR##*:}; case $host in 0.0.0.0|'[::]'|'') host=127.0.0.1;; esac; host=${host#[}; host=${host%]}; exec 3<>/dev/tcp/$host/$port || exit 1; printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3; IFS= read -r status <&3; [[ $status == 'HTTP/1.'?' 200 '* ]]"]

ENTRYPOINT ["recovery-bot"]
CMD ["serve"]
