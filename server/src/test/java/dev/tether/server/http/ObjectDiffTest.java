package dev.tether.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ObjectDiffTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String text) throws Exception {
    return JSON.readTree(text.replace('\'', '"'));
  }

  @Test
  void listsOnlyTheFieldsGitSetsThatDiffer() throws Exception {
    JsonNode desired = json("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':{'app':'web'}},"
        + "'spec':{'replicas':2,'template':{'spec':{'containers':[{'name':'web','image':'nginx:1.27'}]}}}}");
    JsonNode live = json("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','namespace':'x','uid':'1',"
        + "'labels':{'app':'web','extra':'y'}},'spec':{'replicas':5,'template':{'spec':{'containers':[{'name':'web',"
        + "'image':'nginx:1.27','imagePullPolicy':'Always'}]}}},'status':{'replicas':5}}");
    assertThat(ObjectDiff.of(desired, live)).containsExactly(new ObjectDiff.Change("spec.replicas", "2", "5"));
  }

  @Test
  void saysWhatIsMissingAndComparesNumbersByValue() throws Exception {
    JsonNode desired = json("{'kind':'ConfigMap','data':{'a':'1','b':'2'},'x':{'n':1.0}}");
    JsonNode live = json("{'kind':'ConfigMap','data':{'a':'1'},'x':{'n':1}}");
    assertThat(ObjectDiff.of(desired, live)).containsExactly(new ObjectDiff.Change("data.b", "2", null));
    assertThat(ObjectDiff.of(json("{'data':{'a':'1'}}"), json("{'data':{'a':1}}"))).hasSize(1);
  }

  @Test
  void secretValuesAreNeverShown() throws Exception {
    JsonNode desired = json("{'kind':'Secret','data':{'password':'c2VjcmV0'}}");
    JsonNode live = json("{'kind':'Secret','metadata':{'managedFields':[{}],'annotations':"
        + "{'kubectl.kubernetes.io/last-applied-configuration':'c2VjcmV0'}},'data':{'password':'b3RoZXI='}}");
    assertThat(ObjectDiff.of(desired, live)).containsExactly(new ObjectDiff.Change("data.password", "(redacted)", "(redacted)"));
    // stringData is compared as the API server stores it (base64 in data), and never shown.
    JsonNode fromStringData = json("{'kind':'Secret','stringData':{'password':'hunter2'}}");
    assertThat(ObjectDiff.of(fromStringData, json("{'kind':'Secret','data':{'password':'aHVudGVyMg=='}}"))).isEmpty();
    assertThat(ObjectDiff.of(fromStringData, json("{'kind':'Secret'}")).toString()).doesNotContain("hunter2", "aHVudGVyMg==");
    assertThat(ObjectDiff.of(fromStringData, json("{'kind':'Secret','data':{'password':'b3RoZXI='}}")))
        .containsExactly(new ObjectDiff.Change("data.password", "(redacted)", "(redacted)"));
    String shown = ObjectDiff.redacted(live).toString();
    assertThat(shown).doesNotContain("b3RoZXI=", "c2VjcmV0", "managedFields").contains("redacted, 8 characters");
  }
}
