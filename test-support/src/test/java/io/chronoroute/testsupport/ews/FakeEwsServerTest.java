package io.chronoroute.testsupport.ews;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class FakeEwsServerTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String GUID = "c11a8d0e-3b6f-4e0e-9a51-7d1e2f9b0a01";
    private static final String HEAD = "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope "
            + "xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
            + "xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\" "
            + "xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\"><soap:Header>"
            + "<t:RequestServerVersion Version=\"Exchange2010_SP2\"/></soap:Header><soap:Body>";
    private static final String TAIL = "</soap:Body></soap:Envelope>";
    private static final String EXT_URI = "<t:ExtendedFieldURI PropertySetId=\"" + GUID
            + "\" PropertyName=\"ConsolidatorSourceId\" PropertyType=\"String\"/>";

    private FakeEwsServer ews;

    record Reply(int status, Document doc, String body) {
        String text(String localName) {
            NodeList n = doc.getElementsByTagNameNS("*", localName);
            return n.getLength() == 0 ? null : n.item(0).getTextContent();
        }

        List<Element> all(String localName) {
            NodeList n = doc.getElementsByTagNameNS("*", localName);
            List<Element> out = new ArrayList<>();
            for (int i = 0; i < n.getLength(); i++) {
                out.add((Element) n.item(i));
            }
            return out;
        }

        Element first(String localName) {
            return all(localName).get(0);
        }
    }

    @BeforeEach
    void start() {
        ews = FakeEwsServer.builder().credentials("svc-chronoroute", "s3cret").build().start();
    }

    @AfterEach
    void stop() {
        ews.close();
    }

    private Reply post(String soap) throws Exception {
        return post(soap, "svc-chronoroute:s3cret");
    }

    private Reply post(String soap, String credentials) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(ews.url()))
                .header("Content-Type", "text/xml; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(soap));
        if (credentials != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        Document doc = null;
        if (!r.body().isEmpty()) {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(r.body().getBytes(StandardCharsets.UTF_8)));
            if (r.statusCode() == 200) {
                // what the fake answers must itself be valid against Microsoft's schema
                Element body = (Element) doc.getElementsByTagNameNS(FakeEwsServer.NS_SOAP, "Body").item(0);
                Element response = FakeEwsServer.children(body).get(0);
                assertThat(EwsSchema.validate(response)).as(r.body()).isNull();
            }
        }
        return new Reply(r.statusCode(), doc, r.body());
    }

    private static String createItem(String calendarItemChildren) {
        return HEAD + "<m:CreateItem SendMeetingInvitations=\"SendToNone\"><m:SavedItemFolderId>"
                + "<t:DistinguishedFolderId Id=\"calendar\"/></m:SavedItemFolderId><m:Items><t:CalendarItem>"
                + calendarItemChildren + "</t:CalendarItem></m:Items></m:CreateItem>" + TAIL;
    }

    private static String simpleItem(String subject, String start, String end) {
        return "<t:Subject>" + subject + "</t:Subject><t:ExtendedProperty>" + EXT_URI + "<t:Value>src:" + subject
                + "</t:Value></t:ExtendedProperty><t:Start>" + start + "</t:Start><t:End>" + end + "</t:End>";
    }

    private static String getItem(String id, String baseShape) {
        return HEAD + "<m:GetItem><m:ItemShape><t:BaseShape>" + baseShape + "</t:BaseShape><t:AdditionalProperties>"
                + EXT_URI + "</t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id=\"" + id
                + "\"/></m:ItemIds></m:GetItem>" + TAIL;
    }

    private static String setSubject(String id, String changeKey, String resolution, String subject) {
        return HEAD + "<m:UpdateItem ConflictResolution=\"" + resolution + "\" SendMeetingInvitationsOrCancellations="
                + "\"SendToNone\"><m:ItemChanges><t:ItemChange><t:ItemId Id=\"" + id + "\""
                + (changeKey == null ? "" : " ChangeKey=\"" + changeKey + "\"") + "/><t:Updates><t:SetItemField>"
                + "<t:FieldURI FieldURI=\"item:Subject\"/><t:CalendarItem><t:Subject>" + subject
                + "</t:Subject></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges>"
                + "</m:UpdateItem>" + TAIL;
    }

    private static String sync(String state, int max) {
        return HEAD + "<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>"
                + "<m:SyncFolderId><t:DistinguishedFolderId Id=\"calendar\"/></m:SyncFolderId>"
                + (state == null ? "" : "<m:SyncState>" + state + "</m:SyncState>")
                + "<m:MaxChangesReturned>" + max + "</m:MaxChangesReturned></m:SyncFolderItems>" + TAIL;
    }

    private static String calendarView(String start, String end, int max) {
        return HEAD + "<m:FindItem Traversal=\"Shallow\"><m:ItemShape><t:BaseShape>Default</t:BaseShape>"
                + "</m:ItemShape><m:CalendarView MaxEntriesReturned=\"" + max + "\" StartDate=\"" + start
                + "\" EndDate=\"" + end + "\"/><m:ParentFolderIds><t:DistinguishedFolderId Id=\"calendar\"/>"
                + "</m:ParentFolderIds></m:FindItem>" + TAIL;
    }

    private String create(String subject, String start, String end) throws Exception {
        Reply r = post(createItem(simpleItem(subject, start, end)));
        assertThat(r.text("ResponseCode")).isEqualTo("NoError");
        return r.first("ItemId").getAttribute("Id");
    }

    @Test
    void acceptsTheReferenceCreateItemAndStoresTheExtendedProperty() throws Exception {
        String reference;
        try (InputStream in = getClass().getResourceAsStream("/ews/createitem-reference.xml")) {
            reference = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Reply created = post(reference);
        assertThat(created.status()).isEqualTo(200);
        assertThat(created.first("CreateItemResponseMessage").getAttribute("ResponseClass")).isEqualTo("Success");
        String id = created.first("ItemId").getAttribute("Id");
        assertThat(created.first("ItemId").getAttribute("ChangeKey")).isNotBlank();
        assertThat(ews.extendedProperty(id, "{" + GUID.toUpperCase() + "}", "ConsolidatorSourceId", "String"))
                .isEqualTo("google:abc123");

        Reply got = post(getItem(id, "Default"));
        assertThat(got.text("Subject")).isEqualTo("Consolidated");
        assertThat(got.text("Start")).isEqualTo("2025-06-10T09:00:00Z");
        assertThat(got.text("CalendarItemType")).isEqualTo("Single");
        assertThat(got.first("ExtendedFieldURI").getAttribute("PropertyName")).isEqualTo("ConsolidatorSourceId");
        assertThat(got.text("Value")).isEqualTo("google:abc123");
        Reply withoutExt = post(getItem(id, "IdOnly").replace("<t:AdditionalProperties>" + EXT_URI
                + "</t:AdditionalProperties>", ""));
        assertThat(withoutExt.all("ExtendedProperty")).isEmpty();
        assertThat(withoutExt.all("Subject")).isEmpty();
        assertThat(ews.writeCalls()).isEqualTo(1);
        assertThat(ews.count("GetItem")).isEqualTo(2);
    }

    @Test
    void rejectsOutOfOrderAndUnknownElementsWithErrorSchemaValidation() throws Exception {
        String outOfOrder = createItem("<t:Subject>x</t:Subject><t:Start>2025-06-10T09:00:00Z</t:Start>"
                + "<t:End>2025-06-10T10:00:00Z</t:End><t:ExtendedProperty>" + EXT_URI
                + "<t:Value>v</t:Value></t:ExtendedProperty>");
        Reply r = post(outOfOrder);
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.text("faultcode")).endsWith(":ErrorSchemaValidation");
        assertThat(r.text("ResponseCode")).isEqualTo("ErrorSchemaValidation");
        assertThat(r.text("Violation")).contains("ExtendedProperty");

        Reply unknown = post(createItem("<t:Subject>x</t:Subject><t:Colour>red</t:Colour>"));
        assertThat(unknown.text("ResponseCode")).isEqualTo("ErrorSchemaValidation");
        Reply noDisposition = post(createItem(simpleItem("y", "2025-06-10T09:00:00Z", "2025-06-10T10:00:00Z"))
                .replace(" SendMeetingInvitations=\"SendToNone\"", ""));
        assertThat(noDisposition.status()).isEqualTo(200);
        assertThat(noDisposition.text("ResponseCode")).isEqualTo("ErrorSendMeetingInvitationsRequired");
        Reply badEnd = post(createItem(simpleItem("z", "2025-06-10T09:00:00Z", "2025-06-10T08:00:00Z")));
        assertThat(badEnd.text("ResponseCode")).isEqualTo("ErrorCalendarEndDateIsEarlierThanStartDate");
        assertThat(ews.itemIds(ews.calendarFolderId())).isEmpty();
    }

    @Test
    void staleChangeKeyIsAConflictUnlessOverwriting() throws Exception {
        String id = create("first", "2025-06-10T09:00:00Z", "2025-06-10T10:00:00Z");
        String key1 = post(getItem(id, "IdOnly")).first("ItemId").getAttribute("ChangeKey");
        Reply u1 = post(setSubject(id, key1, "NeverOverwrite", "second"));
        assertThat(u1.text("ResponseCode")).isEqualTo("NoError");
        String key2 = u1.first("ItemId").getAttribute("ChangeKey");
        assertThat(key2).isNotEqualTo(key1);

        Reply stale = post(setSubject(id, key1, "NeverOverwrite", "third"));
        assertThat(stale.text("ResponseCode")).isEqualTo("ErrorIrresolvableConflict");
        assertThat(post(setSubject(id, key1, "AutoResolve", "third")).text("ResponseCode"))
                .isEqualTo("ErrorIrresolvableConflict");
        assertThat(post(setSubject(id, null, "NeverOverwrite", "third")).text("ResponseCode"))
                .isEqualTo("ErrorChangeKeyRequiredForWriteOperations");
        assertThat(post(setSubject(id, key1, "AlwaysOverwrite", "forced")).text("ResponseCode")).isEqualTo("NoError");
        assertThat(ews.field(id, "Subject")).isEqualTo("forced");
        assertThat(post(setSubject(id, key2, "NeverOverwrite", "x").replace(
                " SendMeetingInvitationsOrCancellations=\"SendToNone\"", "")).text("ResponseCode"))
                .isEqualTo("ErrorSendMeetingInvitationsOrCancellationsRequired");

        Reply delete = post(HEAD + "<m:DeleteItem DeleteType=\"HardDelete\" SendMeetingCancellations=\"SendToNone\">"
                + "<m:ItemIds><t:ItemId Id=\"" + id + "\"/></m:ItemIds></m:DeleteItem>" + TAIL);
        assertThat(delete.text("ResponseCode")).isEqualTo("NoError");
        assertThat(post(getItem(id, "IdOnly")).text("ResponseCode")).isEqualTo("ErrorItemNotFound");
    }

    @Test
    void syncFolderItemsPagesAndReportsUpdatesAndDeletes() throws Exception {
        String a = create("a", "2025-06-10T09:00:00Z", "2025-06-10T10:00:00Z");
        String b = create("b", "2025-06-11T09:00:00Z", "2025-06-11T10:00:00Z");
        create("c", "2025-06-12T09:00:00Z", "2025-06-12T10:00:00Z");

        Reply p1 = post(sync(null, 2));
        assertThat(p1.all("Create")).hasSize(2);
        assertThat(p1.text("IncludesLastItemInRange")).isEqualTo("false");
        Reply p2 = post(sync(p1.text("SyncState"), 2));
        assertThat(p2.all("Create")).hasSize(1);
        assertThat(p2.text("IncludesLastItemInRange")).isEqualTo("true");
        String state = p2.text("SyncState");
        assertThat(post(sync(state, 10)).all("Changes").get(0).getChildNodes().getLength()).isZero();

        post(setSubject(a, null, "AutoResolve", "a2"));
        post(HEAD + "<m:DeleteItem DeleteType=\"MoveToDeletedItems\" SendMeetingCancellations=\"SendToNone\">"
                + "<m:ItemIds><t:ItemId Id=\"" + b + "\"/></m:ItemIds></m:DeleteItem>" + TAIL);
        Reply delta = post(sync(state, 512));
        assertThat(delta.all("Update")).hasSize(1);
        assertThat(delta.all("Delete")).hasSize(1);
        assertThat(delta.all("Create")).isEmpty();
        assertThat(delta.first("Delete").getElementsByTagNameNS("*", "ItemId").item(0).getAttributes()
                .getNamedItem("Id").getNodeValue()).isEqualTo(b);
        // the old state still answers the same delta: states are immutable snapshots
        assertThat(post(sync(state, 512)).all("Update")).hasSize(1);

        assertThat(post(sync("bogus", 5)).text("ResponseCode")).isEqualTo("ErrorInvalidSyncStateData");
        assertThat(post(sync(null, 0)).text("ResponseCode")).isEqualTo("ErrorSchemaValidation");
        assertThat(post(sync(null, 513)).text("ResponseCode")).isEqualTo("ErrorSchemaValidation");
    }

    private static String findFolder(String traversal, String parentXml) {
        return HEAD + "<m:FindFolder Traversal=\"" + traversal + "\"><m:FolderShape><t:BaseShape>Default"
                + "</t:BaseShape></m:FolderShape><m:ParentFolderIds>" + parentXml + "</m:ParentFolderIds>"
                + "</m:FindFolder>" + TAIL;
    }

    @Test
    void findFolderAndGetFolderListCalendarsAndExpiredSyncStatesAreInvalid() throws Exception {
        String team = ews.createFolder("Team");
        create("a", "2025-06-10T09:00:00Z", "2025-06-10T10:00:00Z");
        ews.userCreate(team, "t", Instant.parse("2025-06-10T09:00:00Z"), Instant.parse("2025-06-10T10:00:00Z"), "u-t");
        String root = "<t:DistinguishedFolderId Id=\"msgfolderroot\"/>";
        Reply deep = post(findFolder("Deep", root));
        assertThat(deep.all("DisplayName")).extracting(Element::getTextContent).containsExactly("calendar", "Team");
        assertThat(deep.all("TotalCount")).extracting(Element::getTextContent).containsExactly("1", "1");
        assertThat(post(findFolder("Shallow", root)).all("CalendarFolder")).hasSize(1);
        assertThat(post(findFolder("Shallow", "<t:DistinguishedFolderId Id=\"calendar\"/>")).all("DisplayName"))
                .extracting(Element::getTextContent).containsExactly("Team");
        Reply get = post(HEAD + "<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>"
                + "<m:FolderIds><t:DistinguishedFolderId Id=\"calendar\"/><t:FolderId Id=\"" + team + "\"/>"
                + "</m:FolderIds></m:GetFolder>" + TAIL);
        assertThat(get.all("FolderId")).extracting(e -> e.getAttribute("Id"))
                .containsExactly(ews.calendarFolderId(), team);

        String state = post(sync(null, 10)).text("SyncState");
        ews.expireSyncStates();
        assertThat(post(sync(state, 10)).text("ResponseCode")).isEqualTo("ErrorInvalidSyncStateData");
        assertThat(post(sync(null, 10)).all("Create")).hasSize(1);
        assertThat(ews.responseBytes()).isPositive();
    }

    private static String updateFolder(String field, String valueXml) {
        return HEAD + "<m:UpdateFolder><m:FolderChanges><t:FolderChange><t:DistinguishedFolderId Id=\"calendar\"/>"
                + "<t:Updates><t:SetFolderField><t:FieldURI FieldURI=\"" + field + "\"/><t:CalendarFolder>"
                + valueXml + "</t:CalendarFolder></t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges>"
                + "</m:UpdateFolder>" + TAIL;
    }

    @Test
    void updateFolderRenamesAndEditsByAPersonAreReportedLikeExchange() throws Exception {
        Reply renamed = post(updateFolder("folder:DisplayName", "<t:DisplayName>Team &amp; me</t:DisplayName>"));
        assertThat(renamed.text("ResponseCode")).isEqualTo("NoError");
        assertThat(ews.folderName(ews.calendarFolderId())).isEqualTo("Team & me");
        assertThat(post(updateFolder("folder:FolderClass", "<t:FolderClass>IPF.Note</t:FolderClass>"))
                .text("ResponseCode")).isEqualTo("ErrorInvalidPropertyRequest");
        assertThat(post(updateFolder("folder:DisplayName", "<t:Subject>x</t:Subject>")).text("ResponseCode"))
                .isEqualTo("ErrorSchemaValidation");

        String a = create("a", "2025-06-10T09:00:00Z", "2025-06-10T10:00:00Z");
        String b = create("b", "2025-06-11T09:00:00Z", "2025-06-11T10:00:00Z");
        String state = post(sync(null, 10)).text("SyncState");
        String key = post(getItem(a, "IdOnly")).first("ItemId").getAttribute("ChangeKey");
        long journaled = ews.totalRequests();
        ews.userEdit(a, "Subject", "edited in OWA");
        ews.userDelete(b);
        assertThat(ews.totalRequests()).isEqualTo(journaled);
        Reply delta = post(sync(state, 10));
        assertThat(delta.all("Update")).hasSize(1);
        assertThat(delta.all("Delete")).hasSize(1);
        Reply after = post(getItem(a, "AllProperties"));
        assertThat(after.text("Subject")).isEqualTo("edited in OWA");
        assertThat(after.first("ItemId").getAttribute("ChangeKey")).isNotEqualTo(key);
    }

    @Test
    void serverBusyAndAuthentication() throws Exception {
        ews.serverBusyNext(1, 2500);
        Reply busy = post(sync(null, 10));
        assertThat(busy.status()).isEqualTo(500);
        assertThat(busy.text("ResponseCode")).isEqualTo("ErrorServerBusy");
        Element value = busy.first("Value");
        assertThat(value.getAttribute("Name")).isEqualTo("BackOffMilliseconds");
        assertThat(value.getTextContent()).isEqualTo("2500");
        assertThat(post(sync(null, 10)).text("ResponseCode")).isEqualTo("NoError");

        assertThat(post(sync(null, 10), null).status()).isEqualTo(401);
        assertThat(post(sync(null, 10), "svc-chronoroute:wrong").status()).isEqualTo(401);
        assertThat(ews.journal().entries()).extracting(e -> e.status()).containsExactly(500, 200, 401, 401);
    }

    @Test
    void weeklySeriesExpandsInCalendarViewAcrossDstWithModifiedAndDeletedOccurrences() throws Exception {
        Reply created = post(createItem("<t:Subject>standup</t:Subject>"
                + "<t:Start>2025-03-24T08:00:00Z</t:Start><t:End>2025-03-24T08:15:00Z</t:End>"
                + "<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday Wednesday"
                + "</t:DaysOfWeek></t:WeeklyRecurrence><t:NumberedRecurrence><t:StartDate>2025-03-24</t:StartDate>"
                + "<t:NumberOfOccurrences>6</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>"
                + "<t:StartTimeZone Id=\"W. Europe Standard Time\"/>"));
        assertThat(created.text("ResponseCode")).isEqualTo("NoError");
        String master = created.first("ItemId").getAttribute("Id");
        create("single", "2025-03-25T12:00:00Z", "2025-03-25T13:00:00Z");

        Reply view = post(calendarView("2025-03-23T00:00:00Z", "2025-04-30T00:00:00Z", 100));
        List<String> starts = view.all("Start").stream().map(Element::getTextContent).toList();
        // 09:00 Berlin is 08:00Z before 30 March and 07:00Z after
        assertThat(starts).containsExactly("2025-03-24T08:00:00Z", "2025-03-25T12:00:00Z", "2025-03-26T08:00:00Z",
                "2025-03-31T07:00:00Z", "2025-04-02T07:00:00Z", "2025-04-07T07:00:00Z", "2025-04-09T07:00:00Z");
        assertThat(view.first("RootFolder").getAttribute("IncludesLastItemInRange")).isEqualTo("true");

        Reply moved = post(HEAD + "<m:UpdateItem ConflictResolution=\"AlwaysOverwrite\" "
                + "SendMeetingInvitationsOrCancellations=\"SendToNone\"><m:ItemChanges><t:ItemChange>"
                + "<t:OccurrenceItemId RecurringMasterId=\"" + master + "\" InstanceIndex=\"3\"/><t:Updates>"
                + "<t:SetItemField><t:FieldURI FieldURI=\"calendar:Start\"/><t:CalendarItem>"
                + "<t:Start>2025-03-31T10:00:00Z</t:Start></t:CalendarItem></t:SetItemField><t:SetItemField>"
                + "<t:FieldURI FieldURI=\"calendar:End\"/><t:CalendarItem><t:End>2025-03-31T10:15:00Z</t:End>"
                + "</t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"
                + TAIL);
        assertThat(moved.text("ResponseCode")).isEqualTo("NoError");
        Reply deleted = post(HEAD + "<m:DeleteItem DeleteType=\"HardDelete\" SendMeetingCancellations="
                + "\"SendToNone\"><m:ItemIds><t:OccurrenceItemId RecurringMasterId=\"" + master
                + "\" InstanceIndex=\"4\"/></m:ItemIds></m:DeleteItem>" + TAIL);
        assertThat(deleted.text("ResponseCode")).isEqualTo("NoError");

        Reply after = post(calendarView("2025-03-30T00:00:00Z", "2025-04-06T00:00:00Z", 100));
        assertThat(after.all("CalendarItemType").stream().map(Element::getTextContent).toList())
                .containsExactly("Exception");
        assertThat(after.text("Start")).isEqualTo("2025-03-31T10:00:00Z");
        assertThat(after.text("OriginalStart")).isEqualTo("2025-03-31T07:00:00Z");

        Reply series = post(getItem(master, "AllProperties"));
        assertThat(series.text("CalendarItemType")).isEqualTo("RecurringMaster");
        assertThat(series.all("ModifiedOccurrences")).hasSize(1);
        assertThat(series.first("DeletedOccurrences").getTextContent()).isEqualTo("2025-04-02T07:00:00Z");

        Reply limited = post(calendarView("2025-03-23T00:00:00Z", "2025-04-30T00:00:00Z", 2));
        assertThat(limited.all("CalendarItem")).hasSize(2);
        assertThat(limited.first("RootFolder").getAttribute("IncludesLastItemInRange")).isEqualTo("false");
    }

    @Test
    void localTimesUseTheTimeZoneContextAndExtendedPropertiesAreUpdatable() throws Exception {
        String berlinHead = HEAD.replace("</soap:Header>", "<t:TimeZoneContext><t:TimeZoneDefinition "
                + "Id=\"W. Europe Standard Time\"/></t:TimeZoneContext></soap:Header>");
        Reply created = post(createItem(simpleItem("local", "2025-07-01T09:00:00", "2025-07-01T10:00:00"))
                .replace(HEAD, berlinHead));
        String id = created.first("ItemId").getAttribute("Id");
        String key = created.first("ItemId").getAttribute("ChangeKey");
        assertThat(ews.field(id, "Start")).isEqualTo("2025-07-01T07:00:00Z");

        Reply retag = post(HEAD + "<m:UpdateItem ConflictResolution=\"NeverOverwrite\" "
                + "SendMeetingInvitationsOrCancellations=\"SendToNone\"><m:ItemChanges><t:ItemChange><t:ItemId Id=\""
                + id + "\" ChangeKey=\"" + key + "\"/><t:Updates><t:SetItemField>" + EXT_URI + "<t:CalendarItem>"
                + "<t:ExtendedProperty>" + EXT_URI + "<t:Value>src:retagged</t:Value></t:ExtendedProperty>"
                + "</t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"
                + TAIL);
        assertThat(retag.text("ResponseCode")).isEqualTo("NoError");
        assertThat(ews.extendedProperty(id, GUID, "ConsolidatorSourceId", "String")).isEqualTo("src:retagged");
        Reply untag = post(HEAD + "<m:UpdateItem ConflictResolution=\"AutoResolve\" "
                + "SendMeetingInvitationsOrCancellations=\"SendToNone\"><m:ItemChanges><t:ItemChange><t:ItemId Id=\""
                + id + "\"/><t:Updates><t:DeleteItemField>" + EXT_URI + "</t:DeleteItemField></t:Updates>"
                + "</t:ItemChange></m:ItemChanges></m:UpdateItem>" + TAIL);
        assertThat(untag.text("ResponseCode")).isEqualTo("NoError");
        assertThat(ews.extendedProperty(id, GUID, "ConsolidatorSourceId", "String")).isNull();
    }

    @Test
    void occurrenceIdsFromCalendarViewResolveAndLeadBackToTheMaster() throws Exception {
        Reply created = post(createItem("<t:Subject>daily</t:Subject><t:Start>2025-01-06T14:00:00Z</t:Start>"
                + "<t:End>2025-01-06T15:00:00Z</t:End><t:Recurrence><t:DailyRecurrence><t:Interval>2</t:Interval>"
                + "</t:DailyRecurrence><t:EndDateRecurrence><t:StartDate>2025-01-06</t:StartDate>"
                + "<t:EndDate>2025-01-12</t:EndDate></t:EndDateRecurrence></t:Recurrence>"
                + "<t:MeetingTimeZone TimeZoneName=\"Eastern Standard Time\"/>"));
        String master = created.first("ItemId").getAttribute("Id");
        Reply view = post(calendarView("2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z", 50));
        assertThat(view.all("Start").stream().map(Element::getTextContent).toList())
                .containsExactly("2025-01-06T14:00:00Z", "2025-01-08T14:00:00Z", "2025-01-10T14:00:00Z",
                        "2025-01-12T14:00:00Z");
        String occurrenceId = view.all("ItemId").get(1).getAttribute("Id");
        Reply occurrence = post(getItem(occurrenceId, "Default"));
        assertThat(occurrence.text("CalendarItemType")).isEqualTo("Occurrence");
        assertThat(occurrence.text("Value")).isNull();
        assertThat(occurrence.all("Recurrence")).isEmpty();
        Reply series = post(HEAD + "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>"
                + "<m:ItemIds><t:RecurringMasterItemId OccurrenceId=\"" + occurrenceId + "\"/></m:ItemIds>"
                + "</m:GetItem>" + TAIL);
        assertThat(series.first("ItemId").getAttribute("Id")).isEqualTo(master);
        Reply outOfRange = post(HEAD + "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>"
                + "<m:ItemIds><t:OccurrenceItemId RecurringMasterId=\"" + master + "\" InstanceIndex=\"5\"/>"
                + "</m:ItemIds></m:GetItem>" + TAIL);
        assertThat(outOfRange.text("ResponseCode")).isEqualTo("ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange");
    }
}
