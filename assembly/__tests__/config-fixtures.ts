// .cnf.xml files for the config scanner's tests, as AssemblyScript strings.
// All addresses are documentation addresses; names are made up.

// A SEP<MAC>.cnf.xml as CUCM 8.x writes it for an SCCP 7960: the element
// layout (device with xsi:type and ctiid, devicePool with its uuids,
// callManagerGroup/members/member priority="N", ports with SIP and MGCP
// ports, TVS members, capfList with its own processNodeName, addOnModules
// with their own loadInformation, URLs with &amp;) follows CUCM TFTP files
// published in phone set-up guides; the members are written out of order.
export const CNF_CUCM_SEP = `<?xml version="1.0" encoding="UTF-8"?>
<device  xsi:type="axl:XIPPhone" ctiid="1566023366" uuid="{2ba9a42e-8b3e-9d26-2cd9-3f14c6a4a0e1}">
<fullConfig>true</fullConfig>
<portalDefaultServer>impserver.voice.example</portalDefaultServer>
<deviceProtocol>SCCP</deviceProtocol>
<sshUserId></sshUserId>
<sshPassword></sshPassword>
<ipAddressMode>0</ipAddressMode>
<allowAutoConfig>true</allowAutoConfig>
<dadEnable>true</dadEnable>
<redirectEnable>false</redirectEnable>
<echoMultiEnable>false</echoMultiEnable>
<ipPreferenceModeControl>0</ipPreferenceModeControl>
<tzdata>
<tzolsonversion>2010o</tzolsonversion>
<tzupdater>tzupdater.jar</tzupdater>
</tzdata>
<mlppDomainId>-1</mlppDomainId>
<mlppIndicationStatus>Default</mlppIndicationStatus>
<preemption>Default</preemption>
<executiveAssistant></executiveAssistant>
<devicePool uuid="{1b1b9eb6-7803-11d3-bdf0-00108302ead1}">
<revertPriority>0</revertPriority>
<name>Default</name>
<dateTimeSetting uuid="{9ec4850a-7748-11d3-bdf0-00108302ead1}">
<name>CMLocal</name>
<dateTemplate>M/D/Y</dateTemplate>
<timeZone>Central Standard/Daylight Time</timeZone>
<olsonTimeZone>America/Chicago</olsonTimeZone>
</dateTimeSetting>
<callManagerGroup>
<name>Default</name>
<tftpDefault>true</tftpDefault>
<members>
<member priority="2">
<callManager>
<name>CM_cucm3</name>
<description>cucm3 (site B)</description>
<ports>
<ethernetPhonePort>2000</ethernetPhonePort>
<sipPort>5060</sipPort>
<securedSipPort>5061</securedSipPort>
<mgcpPorts>
<listen>2427</listen>
<keepAlive>2428</keepAlive>
</mgcpPorts>
</ports>
<processNodeName>198.51.100.13</processNodeName>
</callManager>
</member>
<member priority="0">
<callManager>
<name>CM_cucm1</name>
<description>cucm1</description>
<ports>
<ethernetPhonePort>2000</ethernetPhonePort>
<sipPort>5060</sipPort>
<securedSipPort>5061</securedSipPort>
<mgcpPorts>
<listen>2427</listen>
<keepAlive>2428</keepAlive>
</mgcpPorts>
</ports>
<processNodeName>192.0.2.11</processNodeName>
</callManager>
</member>
<member priority="1">
<callManager>
<name>CM_cucm2</name>
<description>cucm2</description>
<ports>
<ethernetPhonePort>2443</ethernetPhonePort>
<sipPort>5060</sipPort>
<securedSipPort>5061</securedSipPort>
<mgcpPorts>
<listen>2427</listen>
<keepAlive>2428</keepAlive>
</mgcpPorts>
</ports>
<processNodeName>192.0.2.12</processNodeName>
</callManager>
</member>
</members>
</callManagerGroup>
<srstInfo uuid="{cd241e11-4a58-4d3d-9661-f06c912a18a3}">
<name>Disable</name>
<srstOption>Disable</srstOption>
<userModifiable>false</userModifiable>
<ipAddr1></ipAddr1>
<port1>2000</port1>
<ipAddr2></ipAddr2>
<port2>2000</port2>
<ipAddr3></ipAddr3>
<port3>2000</port3>
<sipIpAddr1></sipIpAddr1>
<sipPort1>5060</sipPort1>
<isSecure>false</isSecure>
</srstInfo>
<connectionMonitorDuration>120</connectionMonitorDuration>
</devicePool>
<TVS>
<members>
<member priority="0">
<port>2445</port>
<address>cucm1.voice.example</address>
</member>
</members>
</TVS>
<MissedCallLoggingOption>10</MissedCallLoggingOption>
<commonProfile>
<phonePassword></phonePassword>
<backgroundImageAccess>true</backgroundImageAccess>
<callLogBlfEnabled>2</callLogBlfEnabled>
</commonProfile>
<loadInformation>P0030801SR02</loadInformation>
<vendorConfig>
<disableSpeaker>false</disableSpeaker>
<disableSpeakerAndHeadset>false</disableSpeakerAndHeadset>
<pcPort>0</pcPort>
<settingsAccess>1</settingsAccess>
<garp>1</garp>
<voiceVlanAccess>0</voiceVlanAccess>
<autoSelectLineEnable>0</autoSelectLineEnable>
<webAccess>1</webAccess>
<loggingDisplay>1</loggingDisplay>
</vendorConfig>
<versionStamp>1290034452-b15e1a25-6a9a-4e0f-a5c7-bba2b1f47a41</versionStamp>
<userLocale>
<name>English_United_States</name>
<uid>1</uid>
<langCode>en_US</langCode>
<version>8.5.0.1(1)</version>
<winCharSet>iso-8859-1</winCharSet>
</userLocale>
<networkLocale>United_States</networkLocale>
<networkLocaleInfo>
<name>United_States</name>
<uid>64</uid>
<version>8.5.0.1(1)</version>
</networkLocaleInfo>
<deviceSecurityMode>1</deviceSecurityMode>
<idleTimeout>0</idleTimeout>
<authenticationURL>http://192.0.2.11:8080/ccmcip/authenticate.jsp</authenticationURL>
<directoryURL>http://192.0.2.11:8080/ccmcip/xmldirectory.jsp?lang=en&amp;site=a</directoryURL>
<idleURL></idleURL>
<informationURL>http://192.0.2.11:8080/ccmcip/GetTelecasterHelpText.jsp</informationURL>
<messagesURL></messagesURL>
<proxyServerURL></proxyServerURL>
<servicesURL>http://192.0.2.11:8080/ccmcip/getservicesmenu.jsp</servicesURL>
<dscpForSCCPPhoneConfig>96</dscpForSCCPPhoneConfig>
<dscpForSCCPPhoneServices>0</dscpForSCCPPhoneServices>
<dscpForCm2Dvce>96</dscpForCm2Dvce>
<transportLayerProtocol>1</transportLayerProtocol>
<capfAuthMode>0</capfAuthMode>
<capfList>
<capf>
<phonePort>3804</phonePort>
<processNodeName>cucm1.voice.example</processNodeName>
</capf>
</capfList>
<certHash></certHash>
<encrConfig>false</encrConfig>
<addOnModules>
<addOnModule idx="1">
<deviceType>124</deviceType>
<deviceLine>7914</deviceLine>
<loadInformation>S00105000400</loadInformation>
</addOnModule>
</addOnModules>
</device>
`;

// XMLDefault.cnf.xml for auto-registration, in the shape CallManager 4.x
// wrote it (and set-up guides for chan_sccp copy): root <Default>, the group
// directly under it, one loadInformation<device type> per model with a
// model attribute; type 7 is the 7960, type 8 the 7940.
export const CNF_XMLDEFAULT = `<Default>
	<callManagerGroup>
		<members>
			<member  priority="0">
				<callManager>
					<ports>
						<ethernetPhonePort>2000</ethernetPhonePort>
						<mgcpPorts>
							<listen>2427</listen>
							<keepAlive>2428</keepAlive>
						</mgcpPorts>
					</ports>
					<processNodeName>203.0.113.5</processNodeName>
				</callManager>
			</member>
		</members>
	</callManagerGroup>
	<loadInformation6 model="IP Phone 7910"></loadInformation6>
	<loadInformation124 model="Addon 7914"></loadInformation124>
	<loadInformation9 model="IP Phone 7935"></loadInformation9>
	<loadInformation8 model="IP Phone 7940">P00308010100</loadInformation8>
	<loadInformation7 model="IP Phone 7960">P00308010200</loadInformation7>
	<loadInformation20000 model="IP Phone 7905"></loadInformation20000>
	<loadInformation30008 model="IP Phone 7902"></loadInformation30008>
	<loadInformation30007 model="IP Phone 7912"></loadInformation30007>
	<authenticationURL></authenticationURL>
	<directoryURL></directoryURL>
	<idleURL></idleURL>
	<informationURL></informationURL>
	<messagesURL></messagesURL>
	<servicesURL></servicesURL>
</Default>
`;

// Hand-written, as an administrator types one for a lab: no XML declaration,
// priority as an element (before or after callManager), one member without
// ports (port 2000 then), members in file order.
export const CNF_MINIMAL = `<device>
  <devicePool>
    <callManagerGroup>
      <members>
        <member>
          <priority>1</priority>
          <callManager>
            <processNodeName>192.0.2.22</processNodeName>
          </callManager>
        </member>
        <member>
          <callManager>
            <ports><ethernetPhonePort>2001</ethernetPhonePort></ports>
            <processNodeName>192.0.2.21</processNodeName>
          </callManager>
          <priority>0</priority>
        </member>
      </members>
    </callManagerGroup>
  </devicePool>
  <loadInformation>P0030801SR02</loadInformation>
</device>
`;

// Everything a generic XML writer or an editor may add: a byte order mark is
// added by the test; CRLF line ends, a DOCTYPE, processing instructions,
// comments (one inside a value), CDATA, character and entity references,
// single-quoted attributes, self-closing elements, white space around
// values. Made by hand to exercise the scanner, not taken from a CUCM.
export const CNF_ODD = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\r\n"
  + "<!DOCTYPE device>\r\n"
  + "<!-- SEP001B54C2A710.cnf.xml <edited> by hand -->\r\n"
  + "<device xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xsi:type=\"axl:XIPPhone\">\r\n"
  + "<?cisco-tool build='1'?>\r\n"
  + "<deviceProtocol> SCCP </deviceProtocol>\r\n"
  + "<sshUserId/>\r\n"
  + "<devicePool >\r\n"
  + "<callManagerGroup><name>R&amp;D &lt;lab&gt; &quot;A&quot; &apos;B&apos;</name>\r\n"
  + "<members>\r\n"
  + "<member priority = '&#49;' >\r\n"
  + "<callManager><name><![CDATA[CM <one> & only]]></name>\r\n"
  + "<ports><ethernetPhonePort>20<!-- SCCP -->00</ethernetPhonePort><sipPort/></ports>\r\n"
  + "<processNodeName><![CDATA[192.0.2.31]]></processNodeName>\r\n"
  + "</callManager>\r\n"
  + "</member>\r\n"
  + "<member priority=\"0\"><callManager>\r\n"
  + "<ports><ethernetPhonePort>\r\n\t2000\r\n</ethernetPhonePort></ports>\r\n"
  + "<processNodeName>\r\n  cm&#x2d;a.lab&#46;example \r\n</processNodeName>\r\n"
  + "</callManager></member>\r\n"
  + "<!-- <member priority=\"0\"><callManager><processNodeName>192.0.2.99</processNodeName></callManager></member> -->\r\n"
  + "</members></callManagerGroup>\r\n"
  + "</devicePool >\r\n"
  + "<loadInformation><![CDATA[P0030801]]>SR02</loadInformation>\r\n"
  + "<description>Caf&#233; phone</description>\r\n"
  + "</device  >\r\n"
  + "<!-- end -->\r\n";

// CUCM configured with server names instead of addresses (System > Server
// by host name): processNodeName is a name the phone resolves with DNS. The
// third has a name longer than 64 characters, and is unusable.
export const CNF_HOSTNAMES = `<?xml version="1.0" encoding="UTF-8"?>
<device xsi:type="axl:XIPPhone" ctiid="94">
<deviceProtocol>SCCP</deviceProtocol>
<devicePool>
<callManagerGroup>
<name>HQ</name>
<members>
<member priority="0">
<callManager>
<name>CUCM-PUB</name>
<ports><ethernetPhonePort>2000</ethernetPhonePort></ports>
<processNodeName>CUCM-PUB</processNodeName>
</callManager>
</member>
<member priority="1">
<callManager>
<name>cucm-sub1</name>
<ports><ethernetPhonePort>2000</ethernetPhonePort></ports>
<processNodeName>cucm-sub1.voice.example.</processNodeName>
</callManager>
</member>
<member priority="2">
<callManager>
<name>cucm-sub2</name>
<ports><ethernetPhonePort>2000</ethernetPhonePort></ports>
<processNodeName>cucm-sub2.a-rather-long-subdomain-name.voice-network.example.co.uk</processNodeName>
</callManager>
</member>
</members>
</callManagerGroup>
</devicePool>
<loadInformation>SCCP41.9-2-1S</loadInformation>
</device>
`;

// host/sim/cnf.ts's cnfXml({ callManagers: [{ host: "192.0.2.11" }, { host:
// "cucm2.voice.example", port: 2002, name: "CM_B&C" }], load: "P0030801SR02" }),
// byte for byte (tests/cnf.test.ts checks that it still is). Keep it one line.
export const CNF_SIM = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<device xsi:type=\"axl:XIPPhone\" ctiid=\"1\">\n<fullConfig>true</fullConfig>\n<deviceProtocol>SCCP</deviceProtocol>\n<sshUserId></sshUserId>\n<sshPassword></sshPassword>\n<devicePool>\n<revertPriority>0</revertPriority>\n<name>Default</name>\n<dateTimeSetting>\n<name>CMLocal</name>\n<dateTemplate>M/D/Y</dateTemplate>\n<timeZone>Greenwich Standard Time</timeZone>\n</dateTimeSetting>\n<callManagerGroup>\n<name>Default</name>\n<tftpDefault>true</tftpDefault>\n<members>\n<member priority=\"0\">\n<callManager>\n<name>CM_192.0.2.11</name>\n<description>192.0.2.11</description>\n<ports>\n<ethernetPhonePort>2000</ethernetPhonePort>\n<sipPort>5060</sipPort>\n<securedSipPort>5061</securedSipPort>\n<mgcpPorts>\n<listen>2427</listen>\n<keepAlive>2428</keepAlive>\n</mgcpPorts>\n</ports>\n<processNodeName>192.0.2.11</processNodeName>\n</callManager>\n</member>\n<member priority=\"1\">\n<callManager>\n<name>CM_B&amp;C</name>\n<description>cucm2.voice.example</description>\n<ports>\n<ethernetPhonePort>2002</ethernetPhonePort>\n<sipPort>5060</sipPort>\n<securedSipPort>5061</securedSipPort>\n<mgcpPorts>\n<listen>2427</listen>\n<keepAlive>2428</keepAlive>\n</mgcpPorts>\n</ports>\n<processNodeName>cucm2.voice.example</processNodeName>\n</callManager>\n</member>\n</members>\n</callManagerGroup>\n<srstInfo>\n<name>Disable</name>\n<srstOption>Disable</srstOption>\n</srstInfo>\n<connectionMonitorDuration>120</connectionMonitorDuration>\n</devicePool>\n<loadInformation>P0030801SR02</loadInformation>\n<versionStamp>1700000000-00000000-0000-0000-0000-000000000000</versionStamp>\n<idleTimeout>0</idleTimeout>\n<authenticationURL></authenticationURL>\n<directoryURL></directoryURL>\n<servicesURL></servicesURL>\n<deviceSecurityMode>1</deviceSecurityMode>\n</device>\n";

// A SEP<MAC>.cnf.xml for a SIP phone (a 7965 on a SIP load) in the layout
// CUCM writes and SIP provisioning templates copy (Wazo's Cisco SIP
// template follows it element for element): sipPort in each member's
// ports, <sipProfile> with <sipProxies>, <sipCallFeatures>, <sipStack> and
// <sipLines>, transportLayerProtocol 2 (UDP) near the end. The lines: two
// usual ones (one with its own proxy), an intercom line and a fifth named
// line (not kept), a line button without a name, entities in a password and
// white space around another. Addresses are documentation addresses.
export const CNF_CUCM_SIP = `<?xml version="1.0" encoding="UTF-8"?>
<device xsi:type="axl:XIPPhone" ctiid="1566023367" uuid="{5c1e1d2a-0e3b-4f0e-9a51-3d0c9b8e7f12}">
<fullConfig>true</fullConfig>
<deviceProtocol>SIP</deviceProtocol>
<sshUserId></sshUserId>
<sshPassword></sshPassword>
<ipAddressMode>0</ipAddressMode>
<allowAutoConfig>true</allowAutoConfig>
<devicePool uuid="{1b1b9eb6-7803-11d3-bdf0-00108302ead1}">
<revertPriority>0</revertPriority>
<name>Default</name>
<dateTimeSetting uuid="{9ec4850a-7748-11d3-bdf0-00108302ead1}">
<name>CMLocal</name>
<dateTemplate>M/D/Y</dateTemplate>
<timeZone>Central Standard/Daylight Time</timeZone>
<olsonTimeZone>America/Chicago</olsonTimeZone>
</dateTimeSetting>
<callManagerGroup>
<name>Default</name>
<tftpDefault>true</tftpDefault>
<members>
<member priority="1">
<callManager>
<name>CM_cucm2</name>
<description>cucm2</description>
<ports>
<ethernetPhonePort>2000</ethernetPhonePort>
<sipPort>5070</sipPort>
<securedSipPort>5071</securedSipPort>
<mgcpPorts>
<listen>2427</listen>
<keepAlive>2428</keepAlive>
</mgcpPorts>
</ports>
<processNodeName>192.0.2.12</processNodeName>
</callManager>
</member>
<member priority="0">
<callManager>
<name>CM_cucm1</name>
<description>cucm1</description>
<ports>
<ethernetPhonePort>2000</ethernetPhonePort>
<sipPort>5060</sipPort>
<securedSipPort>5061</securedSipPort>
<mgcpPorts>
<listen>2427</listen>
<keepAlive>2428</keepAlive>
</mgcpPorts>
</ports>
<processNodeName>192.0.2.11</processNodeName>
</callManager>
</member>
</members>
</callManagerGroup>
<srstInfo uuid="{cd241e11-4a58-4d3d-9661-f06c912a18a3}">
<name>Disable</name>
<srstOption>Disable</srstOption>
<userModifiable>false</userModifiable>
<ipAddr1></ipAddr1>
<port1>2000</port1>
<sipIpAddr1></sipIpAddr1>
<sipPort1>5060</sipPort1>
<isSecure>false</isSecure>
</srstInfo>
<connectionMonitorDuration>120</connectionMonitorDuration>
</devicePool>
<sipProfile>
<sipProxies>
<backupProxy></backupProxy>
<backupProxyPort></backupProxyPort>
<emergencyProxy></emergencyProxy>
<emergencyProxyPort></emergencyProxyPort>
<outboundProxy></outboundProxy>
<outboundProxyPort></outboundProxyPort>
<registerWithProxy>true</registerWithProxy>
</sipProxies>
<sipCallFeatures>
<cnfJoinEnabled>true</cnfJoinEnabled>
<callForwardURI>x-cisco-serviceuri-cfwdall</callForwardURI>
<callPickupURI>x-cisco-serviceuri-pickup</callPickupURI>
<callPickupListURI>x-cisco-serviceuri-opickup</callPickupListURI>
<callPickupGroupURI>x-cisco-serviceuri-gpickup</callPickupGroupURI>
<meetMeServiceURI>x-cisco-serviceuri-meetme</meetMeServiceURI>
<abbreviatedDialURI>x-cisco-serviceuri-abbrdial</abbreviatedDialURI>
<rfc2543Hold>false</rfc2543Hold>
<callHoldRingback>2</callHoldRingback>
<localCfwdEnable>true</localCfwdEnable>
<semiAttendedTransfer>true</semiAttendedTransfer>
<anonymousCallBlock>2</anonymousCallBlock>
<callerIdBlocking>2</callerIdBlocking>
<dndControl>0</dndControl>
<remoteCcEnable>true</remoteCcEnable>
</sipCallFeatures>
<sipStack>
<sipInviteRetx>6</sipInviteRetx>
<sipRetx>10</sipRetx>
<timerInviteExpires>180</timerInviteExpires>
<timerRegisterExpires>1800</timerRegisterExpires>
<timerRegisterDelta>5</timerRegisterDelta>
<timerKeepAliveExpires>120</timerKeepAliveExpires>
<timerSubscribeExpires>120</timerSubscribeExpires>
<timerSubscribeDelta>5</timerSubscribeDelta>
<timerT1>400</timerT1>
<timerT2>3000</timerT2>
<maxRedirects>70</maxRedirects>
<remotePartyID>true</remotePartyID>
<userInfo>None</userInfo>
</sipStack>
<autoAnswerTimer>1</autoAnswerTimer>
<autoAnswerAltBehavior>false</autoAnswerAltBehavior>
<autoAnswerOverride>true</autoAnswerOverride>
<transferOnhookEnabled>false</transferOnhookEnabled>
<enableVad>false</enableVad>
<preferredCodec>none</preferredCodec>
<dtmfAvtPayload>101</dtmfAvtPayload>
<dtmfDbLevel>3</dtmfDbLevel>
<dtmfOutofBand>avt</dtmfOutofBand>
<alwaysUsePrimeLine>false</alwaysUsePrimeLine>
<alwaysUsePrimeLineVoiceMail>false</alwaysUsePrimeLineVoiceMail>
<kpml>3</kpml>
<natEnabled>false</natEnabled>
<natAddress></natAddress>
<phoneLabel>Front desk</phoneLabel>
<stutterMsgWaiting>2</stutterMsgWaiting>
<callStats>false</callStats>
<offhookToFirstDigitTimer>15000</offhookToFirstDigitTimer>
<silentPeriodBetweenCallWaitingBursts>10</silentPeriodBetweenCallWaitingBursts>
<disableLocalSpeedDialConfig>false</disableLocalSpeedDialConfig>
<poundEndOfDial>false</poundEndOfDial>
<startMediaPort>16384</startMediaPort>
<stopMediaPort>32766</stopMediaPort>
<sipLines>
<line button="1" lineIndex="1">
<featureID>9</featureID>
<featureLabel>Alice &amp; Co</featureLabel>
<proxy>USECALLMANAGER</proxy>
<port>5060</port>
<name>1001</name>
<displayName>Alice</displayName>
<autoAnswer>
<autoAnswerEnabled>2</autoAnswerEnabled>
</autoAnswer>
<callWaiting>3</callWaiting>
<authName>1001</authName>
<authPassword>s3cr&amp;t&lt;1&gt;</authPassword>
<sharedLine>false</sharedLine>
<messageWaitingLampPolicy>3</messageWaitingLampPolicy>
<messagesNumber>8000</messagesNumber>
<ringSettingIdle>4</ringSettingIdle>
<ringSettingActive>5</ringSettingActive>
<contact>1001</contact>
<forwardCallInfoDisplay>
<callerName>true</callerName>
<callerNumber>false</callerNumber>
<redirectedNumber>false</redirectedNumber>
<dialedNumber>true</dialedNumber>
</forwardCallInfoDisplay>
</line>
<line button="2" lineIndex="2">
<featureID>9</featureID>
<featureLabel>Bob</featureLabel>
<proxy>198.51.100.20</proxy>
<port>5080</port>
<name>1002</name>
<displayName>Bob &quot;the builder&quot;</displayName>
<autoAnswer>
<autoAnswerEnabled>2</autoAnswerEnabled>
</autoAnswer>
<callWaiting>3</callWaiting>
<authName>bob.auth</authName>
<authPassword>&#x42;0b&apos;s pass</authPassword>
<sharedLine>false</sharedLine>
<contact>1002</contact>
</line>
<line button="3" lineIndex="3">
<featureID>23</featureID>
<featureLabel>Intercom</featureLabel>
<proxy>USECALLMANAGER</proxy>
<port>5060</port>
<name>8001</name>
<displayName>Intercom</displayName>
</line>
<line button="4" lineIndex="4">
<featureID>21</featureID>
<featureLabel>Carol (BLF)</featureLabel>
<speedDialNumber>1003</speedDialNumber>
<featureOptionMask>1</featureOptionMask>
</line>
<line button="5" lineIndex="5">
<featureID>9</featureID>
<featureLabel>Shared</featureLabel>
<proxy>USECALLMANAGER</proxy>
<port>5060</port>
<name>1004</name>
<displayName>Shared line</displayName>
<authName></authName>
<authPassword> two  spaces </authPassword>
<sharedLine>true</sharedLine>
</line>
<line button="6" lineIndex="6">
<featureID>9</featureID>
<proxy></proxy>
<port></port>
<name>1005</name>
<displayName><![CDATA[Lab <5>]]></displayName>
<authName>1005</authName>
<authPassword>five</authPassword>
</line>
<line button="7" lineIndex="7">
<featureID>9</featureID>
<proxy>USECALLMANAGER</proxy>
<name>1006</name>
<authName>1006</authName>
<authPassword>six</authPassword>
</line>
</sipLines>
<voipControlPort>5060</voipControlPort>
<dscpForAudio>184</dscpForAudio>
<ringSettingBusyStationPolicy>0</ringSettingBusyStationPolicy>
<dialTemplate>dialplan.xml</dialTemplate>
<softKeyFile>softkeys.xml</softKeyFile>
</sipProfile>
<commonProfile>
<phonePassword></phonePassword>
<backgroundImageAccess>true</backgroundImageAccess>
<callLogBlfEnabled>2</callLogBlfEnabled>
</commonProfile>
<loadInformation>SIP45.9-4-2SR3-1S</loadInformation>
<vendorConfig>
<disableSpeaker>false</disableSpeaker>
<pcPort>0</pcPort>
<settingsAccess>1</settingsAccess>
<garp>1</garp>
<webAccess>1</webAccess>
</vendorConfig>
<versionStamp>1290034452-b15e1a25-6a9a-4e0f-a5c7-bba2b1f47a41</versionStamp>
<networkLocale>United_States</networkLocale>
<deviceSecurityMode>1</deviceSecurityMode>
<idleTimeout>0</idleTimeout>
<authenticationURL>http://192.0.2.11:8080/ccmcip/authenticate.jsp</authenticationURL>
<directoryURL>http://192.0.2.11:8080/ccmcip/xmldirectory.jsp?lang=en&amp;site=a</directoryURL>
<servicesURL>http://192.0.2.11:8080/ccmcip/getservicesmenu.jsp</servicesURL>
<dscpForSCCPPhoneConfig>96</dscpForSCCPPhoneConfig>
<dscpForSCCPPhoneServices>0</dscpForSCCPPhoneServices>
<dscpForCm2Dvce>96</dscpForCm2Dvce>
<transportLayerProtocol>2</transportLayerProtocol>
<capfAuthMode>0</capfAuthMode>
<capfList>
<capf>
<phonePort>3804</phonePort>
<processNodeName>cucm1.voice.example</processNodeName>
</capf>
</capfList>
<certHash></certHash>
<encrConfig>false</encrConfig>
</device>
`;

// host/sim/cnf.ts's cnfXml for a SIP phone: tests/cnf.test.ts's SIM_SIP
// (CallManagers 192.0.2.11 and 192.0.2.12 on sipPort 5070, UDP, expires
// 600, lines 1001 "Alice & Co" and 1002 "Bob" with auth name bob.auth,
// passwords with entities), byte for byte (that test checks it still is).
// Keep it one line.
export const CNF_SIM_SIP = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<device xsi:type=\"axl:XIPPhone\" ctiid=\"1\">\n<fullConfig>true</fullConfig>\n<deviceProtocol>SIP</deviceProtocol>\n<sshUserId></sshUserId>\n<sshPassword></sshPassword>\n<devicePool>\n<revertPriority>0</revertPriority>\n<name>Default</name>\n<dateTimeSetting>\n<name>CMLocal</name>\n<dateTemplate>M/D/Y</dateTemplate>\n<timeZone>Greenwich Standard Time</timeZone>\n</dateTimeSetting>\n<callManagerGroup>\n<name>Default</name>\n<tftpDefault>true</tftpDefault>\n<members>\n<member priority=\"0\">\n<callManager>\n<name>CM_192.0.2.11</name>\n<description>192.0.2.11</description>\n<ports>\n<ethernetPhonePort>2000</ethernetPhonePort>\n<sipPort>5060</sipPort>\n<securedSipPort>5061</securedSipPort>\n<mgcpPorts>\n<listen>2427</listen>\n<keepAlive>2428</keepAlive>\n</mgcpPorts>\n</ports>\n<processNodeName>192.0.2.11</processNodeName>\n</callManager>\n</member>\n<member priority=\"1\">\n<callManager>\n<name>CM_192.0.2.12</name>\n<description>192.0.2.12</description>\n<ports>\n<ethernetPhonePort>2000</ethernetPhonePort>\n<sipPort>5070</sipPort>\n<securedSipPort>5061</securedSipPort>\n<mgcpPorts>\n<listen>2427</listen>\n<keepAlive>2428</keepAlive>\n</mgcpPorts>\n</ports>\n<processNodeName>192.0.2.12</processNodeName>\n</callManager>\n</member>\n</members>\n</callManagerGroup>\n<srstInfo>\n<name>Disable</name>\n<srstOption>Disable</srstOption>\n</srstInfo>\n<connectionMonitorDuration>120</connectionMonitorDuration>\n</devicePool>\n<sipProfile>\n<sipProxies>\n<backupProxy></backupProxy>\n<backupProxyPort></backupProxyPort>\n<emergencyProxy></emergencyProxy>\n<emergencyProxyPort></emergencyProxyPort>\n<outboundProxy></outboundProxy>\n<outboundProxyPort></outboundProxyPort>\n<registerWithProxy>true</registerWithProxy>\n</sipProxies>\n<sipCallFeatures>\n<cnfJoinEnabled>true</cnfJoinEnabled>\n<callForwardURI>x-cisco-serviceuri-cfwdall</callForwardURI>\n<callPickupURI>x-cisco-serviceuri-pickup</callPickupURI>\n<meetMeServiceURI>x-cisco-serviceuri-meetme</meetMeServiceURI>\n<rfc2543Hold>false</rfc2543Hold>\n<remoteCcEnable>true</remoteCcEnable>\n</sipCallFeatures>\n<sipStack>\n<sipInviteRetx>6</sipInviteRetx>\n<sipRetx>10</sipRetx>\n<timerInviteExpires>180</timerInviteExpires>\n<timerRegisterExpires>600</timerRegisterExpires>\n<timerRegisterDelta>5</timerRegisterDelta>\n<timerKeepAliveExpires>120</timerKeepAliveExpires>\n<timerSubscribeExpires>120</timerSubscribeExpires>\n<timerSubscribeDelta>5</timerSubscribeDelta>\n<timerT1>500</timerT1>\n<timerT2>4000</timerT2>\n<maxRedirects>70</maxRedirects>\n<remotePartyID>true</remotePartyID>\n<userInfo>None</userInfo>\n</sipStack>\n<autoAnswerTimer>1</autoAnswerTimer>\n<enableVad>false</enableVad>\n<dtmfAvtPayload>101</dtmfAvtPayload>\n<dtmfOutofBand>avt</dtmfOutofBand>\n<sipLines>\n<line button=\"1\" lineIndex=\"1\">\n<featureID>9</featureID>\n<featureLabel>1001</featureLabel>\n<proxy>USECALLMANAGER</proxy>\n<port>5060</port>\n<name>1001</name>\n<displayName>Alice &amp; Co</displayName>\n<autoAnswer>\n<autoAnswerEnabled>2</autoAnswerEnabled>\n</autoAnswer>\n<callWaiting>3</callWaiting>\n<authName>1001</authName>\n<authPassword>s3cr&amp;t&lt;1&gt;</authPassword>\n<sharedLine>false</sharedLine>\n<messageWaitingLampPolicy>3</messageWaitingLampPolicy>\n<ringSettingIdle>4</ringSettingIdle>\n<ringSettingActive>5</ringSettingActive>\n<contact>1001</contact>\n</line>\n<line button=\"2\" lineIndex=\"2\">\n<featureID>9</featureID>\n<featureLabel>1002</featureLabel>\n<proxy>USECALLMANAGER</proxy>\n<port>5060</port>\n<name>1002</name>\n<displayName>Bob</displayName>\n<autoAnswer>\n<autoAnswerEnabled>2</autoAnswerEnabled>\n</autoAnswer>\n<callWaiting>3</callWaiting>\n<authName>bob.auth</authName>\n<authPassword>&quot;quoted&quot; &apos;pw&apos;</authPassword>\n<sharedLine>false</sharedLine>\n<messageWaitingLampPolicy>3</messageWaitingLampPolicy>\n<ringSettingIdle>4</ringSettingIdle>\n<ringSettingActive>5</ringSettingActive>\n<contact>1002</contact>\n</line>\n</sipLines>\n<voipControlPort>5060</voipControlPort>\n<startMediaPort>16384</startMediaPort>\n<stopMediaPort>32766</stopMediaPort>\n<dscpForAudio>184</dscpForAudio>\n</sipProfile>\n<loadInformation>SIP45.9-4-2SR3-1S</loadInformation>\n<versionStamp>1700000000-00000000-0000-0000-0000-000000000000</versionStamp>\n<idleTimeout>0</idleTimeout>\n<authenticationURL></authenticationURL>\n<directoryURL></directoryURL>\n<servicesURL></servicesURL>\n<deviceSecurityMode>1</deviceSecurityMode>\n<transportLayerProtocol>2</transportLayerProtocol>\n</device>\n";
