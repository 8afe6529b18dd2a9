package dev.tether.common.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * An OIDC issuer whose id tokens the Kubernetes API proxy accepts from CI jobs, as an entry of the
 * server's {@code --oidc-issuers-file}.
 *
 * @param issuer the {@code iss} claim its tokens carry, exactly; discovery is at {@code <issuer>/.well-known/openid-configuration}
 * @param audience the {@code aud} a token must carry for this server, so that a token minted for another service is refused
 * @param jwksFile the issuer's keys from a file instead of discovery, for issuers the server cannot reach
 */
public record OidcIssuer(URI issuer, String audience, Optional<Path> jwksFile) {}
