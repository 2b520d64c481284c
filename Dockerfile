# Multi-stage build on Debian 12: the build stage compiles against Debian's
# DPDK 22.11 (linked statically by default, see dpdk-sys/build.rs); the
# runtime stage has our binaries and Debian's `dpdk` package, for the system
# libraries its drivers call (libpcap, libnuma, libibverbs, ...) and for a
# build with FERROSWITCH_DPDK_LINK=shared.
FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends dpdk-dev libdpdk-dev libclang-dev clang pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --bins

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends dpdk iproute2 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/ferroswitch /src/target/release/ferroctl /usr/local/bin/
COPY config/default.toml /etc/ferroswitch/ferroswitch.toml
VOLUME ["/var/run/ferroswitch"]
ENTRYPOINT ["ferroswitch"]
CMD ["--config", "/etc/ferroswitch/ferroswitch.toml"]
