// Reads {secret, id, timestamp, signature, body} from the JSON file named on the command line and verifies it with the official
// standardwebhooks package. Exit 0: valid; 1: refused. Time is pinned to the webhook's own
// timestamp: the tests run on a simulated clock, and the signature is what is under test here.
const { Webhook } = require("standardwebhooks");
const hook = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
{
  Date.now = () => Number(hook.timestamp) * 1000;
  try {
    new Webhook(hook.secret).verify(hook.body, {
      "webhook-id": hook.id,
      "webhook-timestamp": hook.timestamp,
      "webhook-signature": hook.signature,
    });
    console.log("valid");
  } catch (e) {
    console.log("refused: " + e.message);
    process.exit(1);
  }
}
