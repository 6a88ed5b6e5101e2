// Prints a new NATS user nkey: the seed on the first line, the public key on the second.
// Run with jnats and its crypto provider on the class path (see k8s/README.md, "Keys and secrets").
var key = io.nats.client.NKey.createUser(new java.security.SecureRandom());
System.out.println(new String(key.getSeed()));
System.out.println(new String(key.getPublicKey()));
/exit
