package dev.tether.testkit.postgres;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test class against the real PostgreSQL of {@link PostgresExtension}: test and
 * {@code @BeforeEach} methods may take a {@link PostgresDatabase} (a fresh, empty database of their
 * own) and the {@link PostgresServer}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(PostgresExtension.class)
public @interface WithPostgres {}
