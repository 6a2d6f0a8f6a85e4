"""The studio's pages, one module per thing a person does: browse a gallery (`galleries`),
compose and submit (`compose`), look at and act on one generation (`item`), fetch its files
(`files`), act on several or compare a batch (`bulk`), and the JSON documents of parameters
and saved searches (`parameters`, `searches`)."""
