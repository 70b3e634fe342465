package io.chronoroute.master.destination;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts small secrets (OAuth refresh tokens) before they go into the store: AES-256-GCM, random 96-bit nonce,
 * the setting key as associated data (a ciphertext copied to another key does not decrypt). Stored form:
 * {@code v1:<base64(nonce || ciphertext+tag)>}.
 *
 * <p>Key: {@code chronoroute.secret-key} (base64 of 32 bytes, else SHA-256 of the text), or a random key generated
 * once into {@code <data-dir>/destination-secret.key} with permissions 0600. Neither the key nor a plaintext is ever
 * logged; {@link #toString()} says nothing.
 */
public final class SecretBox {

    private static final String PREFIX = "v1:";
    private static final SecureRandom RANDOM = new SecureRandom();
    private final SecretKeySpec key;

    private SecretBox(byte[] keyBytes) {
        this.key = new SecretKeySpec(keyBytes, "AES");
    }

    /** From configured key material (see class comment). */
    public static SecretBox fromKeyMaterial(String material) {
        if (material == null || material.isBlank()) {
            throw new IllegalArgumentException("secret key material is blank");
        }
        try {
            byte[] raw = Base64.getDecoder().decode(material.trim());
            if (raw.length == 32) {
                return new SecretBox(raw);
            }
        } catch (IllegalArgumentException notBase64) {
            // not base64: a passphrase, hashed below
        }
        return new SecretBox(sha256(material.trim().getBytes(StandardCharsets.UTF_8)));
    }

    /** The configured key when given, else the key file under {@code dataDir} (created 0600 when missing). */
    public static SecretBox create(String configured, Path dataDir) {
        if (configured != null && !configured.isBlank()) {
            return fromKeyMaterial(configured);
        }
        Path file = dataDir.resolve("destination-secret.key");
        try {
            Files.createDirectories(dataDir);
            if (!Files.exists(file)) {
                byte[] k = new byte[32];
                RANDOM.nextBytes(k);
                try {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                } catch (UnsupportedOperationException noPosix) {
                    Files.createFile(file);
                } catch (FileAlreadyExistsException raced) {
                    return new SecretBox(Base64.getDecoder().decode(Files.readString(file).trim()));
                }
                Files.writeString(file, Base64.getEncoder().encodeToString(k));
                return new SecretBox(k);
            }
            return new SecretBox(Base64.getDecoder().decode(Files.readString(file).trim()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the secret key file " + file, e);
        }
    }

    public String encrypt(String plaintext, String associatedData) {
        try {
            byte[] nonce = new byte[12];
            RANDOM.nextBytes(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            c.updateAAD(associatedData.getBytes(StandardCharsets.UTF_8));
            byte[] ct = c.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[nonce.length + ct.length];
            System.arraycopy(nonce, 0, out, 0, nonce.length);
            System.arraycopy(ct, 0, out, nonce.length, ct.length);
            return PREFIX + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed", e);
        }
    }

    /** @throws IllegalStateException when the value was encrypted with another key or for another setting */
    public String decrypt(String stored, String associatedData) {
        if (stored == null || !stored.startsWith(PREFIX)) {
            throw new IllegalStateException("not an encrypted value");
        }
        try {
            byte[] in = Base64.getDecoder().decode(stored.substring(PREFIX.length()));
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, in, 0, 12));
            c.updateAAD(associatedData.getBytes(StandardCharsets.UTF_8));
            return new String(c.doFinal(in, 12, in.length - 12), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("stored secret cannot be decrypted (wrong chronoroute.secret-key?)");
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "SecretBox[AES-256-GCM]";
    }
}
