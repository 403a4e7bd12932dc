"""Foreign column-name words mapped to the English words the business models know.

Real lakes name columns and folders in German, French, Spanish, Italian, Portuguese and
Dutch (``vorname``, ``montant_ttc``, ``fecha_nacimiento``, ``rechnungen/``). The models were
trained on English names, so :func:`translate_tokens` rewrites the tokens of
:func:`~classifiers.business.features.name_tokens` into English before they become features.

Rules the data follows (the tests enforce them):

* keys are lower case ASCII with the accents removed (the tables below are written with their
  natural spelling and folded while the dicts are built; German umlauts get both the ``a`` and
  the ``ae`` spelling);
* values are one or two plain English words, as an English column name would use them;
* a word that is also a common English column word (``name``, ``data``, ``total``, ``art``,
  ``tag``, ``fine``, ``via`` ...) is never a key: English names must come through unchanged;
* a key shared by two languages has the same English value in both.

German and Dutch compounds (``kundenadresse``, ``geburtsort``) that are not keys are split into
two known parts, longest known prefix first, with an optional linking ``s``/``n``/``en``/``e``.
:data:`_COMPOUND_PARTS` adds parts that are only safe inside a compound (``land``, ``tag``,
``art``, ``name``): on their own they are English words and stay untouched.

Pure: nothing but building dicts at import; no I/O.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache

#: Languages covered, in the order their dicts are merged.
LANGUAGES: tuple[str, ...] = ("de", "fr", "es", "it", "pt", "nl")

#: Shortest token the compound splitter looks at, and shortest part it accepts.
_MIN_COMPOUND = 7
_MIN_PART = 3
_LINKS = ("en", "s", "n", "e")

_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l"})
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def fold_accents(text: str) -> str:
    """Lower-case ``text`` and drop its accents (``Straße`` -> ``strasse``, ``é`` -> ``e``).

    Apply it to a raw name before tokenizing: the tokenizer treats accented letters as
    separators. Pure; never raises.
    """
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered.translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _parse(table: str, *, umlauts: bool = False) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in table.strip().splitlines():
        for entry in line.split(";"):
            entry = entry.strip()
            if not entry:
                continue
            key, _, value = entry.partition("=")
            value = value.strip()
            spellings = {fold_accents(key.strip())}
            if umlauts:
                spellings.add(fold_accents(key.strip().lower().translate(_UMLAUTS)))
            for spelling in spellings:
                out[spelling] = value
    return out


# fmt: off
_DE_TEXT = """
vorname=first name; vornamen=first name; rufname=first name; nachname=last name
familienname=last name; zuname=last name; geburtsname=birth name; namen=names
geburtsdatum=birth date; gebdatum=birth date; geburtstag=birthday; geburtsort=birth place
geburt=birth; geb=birth; geboren=born; geschlecht=gender; anrede=salutation; titel=title
adresse=address; adressen=addresses; anschrift=address; straße=street; str=street
hausnummer=house number; hausnr=house number; postleitzahl=postcode; plz=postcode
ort=place; wohnort=city; stadt=city; städte=cities; gemeinde=municipality; bundesland=state
staat=state; kreis=district; bezirk=district; länder=countries; telefon=phone
telefonnummer=phone number; telnr=phone number; tel=phone; handy=mobile; mobil=mobile
mobilnummer=mobile number; steuernummer=tax number; steuerid=tax id
sozialversicherungsnummer=ssn; svnr=ssn
personalausweis=id card; ausweis=id card; ausweisnummer=id number; reisepass=passport
staatsangehörigkeit=nationality; nationalität=nationality; familienstand=marital status
personen=persons; konfession=religion
kunde=customer; kunden=customers; kundin=customer; kundennummer=customer number
kundennr=customer number; kdnr=customer number; kundschaft=customers; mandant=client
verbraucher=consumer; käufer=buyer; abonnent=subscriber; mitglied=member
mitglieder=members; treuepunkte=loyalty points; punkte=points
mitarbeiter=employee; mitarbeiterin=employee; angestellte=employee; angestellter=employee
beschäftigte=employee; personalnummer=employee number; gehalt=salary; gehälter=salaries
lohn=wage; löhne=wages; bruttolohn=gross wage; nettolohn=net wage; abteilung=department
abteilungen=departments; abt=department; einstellungsdatum=hire date; eintrittsdatum=hire date
eintritt=entry; austritt=exit; austrittsdatum=termination date; vorgesetzter=manager
vorgesetzte=manager; leiter=manager; führungskraft=manager; stelle=position
stellung=position; funktion=function; berufsbezeichnung=job title; beruf=occupation
arbeitszeit=working hours; arbeit=work; stunden=hours; stunde=hour; urlaub=vacation
urlaubstage=vacation days; krankheitstage=sick days; prämie=bonus; vertrag=contract
verträge=contracts; standort=location; filiale=branch; niederlassung=branch; firma=company
unternehmen=company; gesellschaft=company; arbeitgeber=employer
rechnung=invoice; rechnungen=invoices; rechnungsnummer=invoice number; rechnungsnr=invoice number
rechnungsdatum=invoice date; betrag=amount; beträge=amounts; summe=sum; gesamt=total
gesamtbetrag=total amount; steuer=tax; steuern=taxes; mwst=vat; ust=vat; umsatzsteuer=vat
mehrwertsteuer=vat; netto=net; brutto=gross; saldo=balance; kontostand=balance
bilanz=balance sheet; konto=account; konten=accounts; kontonummer=account number
kontonr=account number; zahlung=payment; zahlungen=payments; zahlungsart=payment method
währung=currency; preis=price; preise=prices; stückpreis=unit price; einzelpreis=unit price
kosten=cost; umsatz=revenue; umsätze=revenue; erlös=revenue; erlöse=revenue
einnahmen=income; ausgaben=expenses; gewinn=profit; verlust=loss; bankverbindung=bank details
bankleitzahl=bank code; blz=bank code; buchung=transaction; buchungen=transactions
buchungsdatum=posting date; transaktion=transaction; transaktionen=transactions
überweisung=transfer; lastschrift=direct debit; gutschrift=credit note; fälligkeit=due date
fällig=due; fälligkeitsdatum=due date; mahnung=reminder; rabatt=discount; skonto=discount
gebühr=fee; gebühren=fees; zins=interest; zinsen=interest; kredit=credit; darlehen=loan
soll=debit; haben=credit; beleg=receipt; belege=receipts; belegnummer=receipt number
quittung=receipt; kasse=cash register; bargeld=cash; kostenstelle=cost center
geschäftsjahr=fiscal year; quartal=quarter; wechselkurs=exchange rate; kurs=rate
aktie=share; aktien=shares; dividende=dividend; vermögen=assets; schulden=debt
forderung=receivable; forderungen=receivables; verbindlichkeiten=liabilities; einkauf=purchase
kauf=purchase; käufe=purchases
bestellung=order; bestellungen=orders; auftrag=order; aufträge=orders; auftragsnummer=order number
bestellnummer=order number; bestellnr=order number; bestelldatum=order date; menge=quantity
mengen=quantities; anzahl=count; anz=count; stueck=pieces; stückzahl=quantity
geschäft=store; verkauf=sale; verkäufe=sales; verkäufer=seller; verkaufsdatum=sale date
kassenbon=receipt; warenkorb=cart; angebot=offer; angebote=offers; vertrieb=sales
produkt=product; produkte=products; artikel=article; artikelnummer=article number
artnr=article number; kategorie=category; kategorien=categories; warengruppe=product group
lieferant=supplier; lieferanten=suppliers; hersteller=manufacturer; marke=brand
bestand=stock; lagerbestand=stock level; lager=warehouse; lagerort=storage location
gewicht=weight; größe=size; länge=length; breite=width; höhe=height; farbe=color
beschreibung=description; bezeichnung=description; bez=description; einheit=unit
mengeneinheit=unit; verpackung=packaging; modell=model; seriennummer=serial number
kampagne=campaign; kampagnen=campaigns; klick=click; klicks=clicks; kanal=channel
kanäle=channels; werbung=advertising; anzeige=ad; anzeigen=ads; impressionen=impressions
aufrufe=views; besucher=visitor; besuche=visits; besuch=visit; quelle=source
zielgruppe=target group; umfrage=survey; bewertung=rating; bewertungen=ratings
rückmeldung=feedback; abmeldung=logout; registrierung=registration; abonnement=subscription
sendung=shipment; sendungen=shipments; versand=shipping; versanddatum=shipping date
lieferung=delivery; lieferungen=deliveries; lieferdatum=delivery date
lieferadresse=delivery address; lieferschein=delivery note; fahrzeug=vehicle
fahrzeuge=vehicles; kennzeichen=license plate
strecke=route; fahrer=driver; fahrt=trip; fahrten=trips; entfernung=distance; dauer=duration
ankunft=arrival; abfahrt=departure; zustand=state; sendungsnummer=tracking number
paket=parcel; pakete=parcels; spediteur=carrier; lagerhaus=warehouse; auslieferung=delivery
retoure=return; rücksendung=return; wartung=maintenance; störung=incident; priorität=priority
maschine=machine; anlage=plant; schicht=shift; produktion=production; auftragsstatus=order status
patienten=patients; diagnose=diagnosis; krankenhaus=hospital; klinik=clinic; arzt=doctor
ärztin=doctor; ärzte=doctors; medikament=drug; medikamente=drugs; arzneimittel=drug
blutdruck=blood pressure; blutgruppe=blood type; puls=pulse; behandlung=treatment
befund=finding; krankheit=disease; symptome=symptoms; versicherung=insurance
krankenkasse=health insurance; versichertennummer=insurance number; aufnahme=admission
aufnahmedatum=admission date; entlassung=discharge; dosis=dose; rezept=prescription
impfung=vaccination; allergie=allergy; termin=appointment; untersuchung=examination
blutzucker=blood sugar; herzfrequenz=heart rate; temperatur=temperature
messung=measurement; messungen=measurements; messwert=measured value; messwerte=measured values
ergebnis=result; ergebnisse=results; druck=pressure; konzentration=concentration
wert=value; werte=values; gattung=genus; breitengrad=latitude; längengrad=longitude
tiefe=depth; niederschlag=precipitation; luftfeuchtigkeit=humidity; stichprobe=sample
beobachtung=observation; versuch=attempt
anmeldung=login; benutzer=user; benutzername=username; nutzer=user; passwort=password
kennwort=password; sitzung=session; sitzungen=sessions; ereignis=event; ereignisse=events
zugriff=access; berechtigung=permission; berechtigungen=permissions; rolle=role; rollen=roles
protokoll=log; fehler=error; fehlversuche=failed attempts; sperre=lock; gesperrt=locked
angriff=attack; bedrohung=threat; schwachstelle=vulnerability; gerät=device; geräte=devices
rechner=computer; zeitstempel=timestamp
sprache=language; sprachen=languages; kürzel=abbreviation; schlüssel=key
hauptstadt=capital; bevölkerung=population; einwohner=population; fläche=area
kontinent=continent; zeitzone=time zone; feiertag=holiday; herkunft=origin
nummer=number; nr=number; kennung=identifier; datum=date; zeit=time; uhrzeit=time
zeitpunkt=time; erstellt=created; erstellungsdatum=creation date; angelegt=created
geändert=modified; änderungsdatum=modified date; aktualisiert=updated; gelöscht=deleted
jahr=year; jahre=years; monat=month; monate=months; tage=days; woche=week; wochen=weeks
typ=type; beginn=start; anfang=start; ende=end; von=from; bis=until; gültig=valid
gültigkeit=validity; aktiv=active; kommentar=comment; bemerkung=remark; notiz=note
hinweis=note; prozent=percent; anteil=share; durchschnitt=average; letzte=last; erste=first
neu=new; sonstige=other; gruppe=group; ebene=level; stufe=level; reihenfolge=sequence
ziel=target; grund=reason; zweck=purpose; datei=file; pfad=path
satz=rate; steuersatz=tax rate; verfolgung=tracking; sachkonto=ledger account
systolisch=systolic; diastolisch=diastolic
"""

_FR_TEXT = """
prénom=first name; prénoms=first names; nom=name; noms=names; naissance=birth
lieu=place; sexe=gender; civilité=salutation; titre=title; adresse=address
adresses=addresses; rue=street; numéro=number; numéros=numbers; ville=city; villes=cities
département=department; pays=country; tél=phone; courriel=email; sécurité=security
sociale=social; nir=national id; passeport=passport; nationalité=nationality
familiale=family; famille=family; naissances=births
clientèle=customers; acheteur=buyer; abonné=subscriber; abonnés=subscribers
adhérent=member; membre=member; membres=members; fidélité=loyalty
employé=employee; employés=employees; salarié=employee; salaire=salary; salaires=salaries
paie=payroll; embauche=hire; entrée=entry; sortie=exit; responsable=manager
poste=position; fonction=function; métier=occupation; heures=hours; heure=hour
congé=leave; congés=leave; contrat=contract; contrats=contracts; agence=branch
succursale=branch; entreprise=company; entreprises=companies; société=company
établissement=establishment
facture=invoice; factures=invoices; montant=amount; montants=amounts; ttc=gross; hors=excluding
tva=vat; taxe=tax; impôt=tax; impôts=taxes; brut=gross; solde=balance; compte=account
comptes=accounts; paiement=payment; paiements=payments; règlement=payment; devise=currency
monnaie=currency; prix=price; unitaire=unit; coût=cost; coûts=costs; chiffre=figure
affaires=business; recette=revenue; recettes=revenue; revenu=income; revenus=income
dépense=expense; dépenses=expenses; bénéfice=profit; perte=loss; banque=bank
virement=transfer; prélèvement=direct debit; avoir=credit note; échéance=due date
remise=discount; frais=fees; intérêt=interest; intérêts=interest; prêt=loan
caisse=cash register; exercice=fiscal year; trimestre=quarter; taux=rate; dette=debt
écriture=entry; écritures=entries
commande=order; commandes=orders; quantité=quantity; qté=quantity; magasin=store
magasins=stores; vente=sale; ventes=sales; vendeur=seller; reçu=receipt; panier=cart
offre=offer; offres=offers; livraison=delivery; livraisons=deliveries; achat=purchase
achats=purchases
produit=product; produits=products; catégorie=category; fournisseur=supplier
fournisseurs=suppliers; fabricant=manufacturer; marque=brand; entrepôt=warehouse
poids=weight; taille=size; longueur=length; largeur=width; hauteur=height
couleur=color; libellé=label; unité=unit; unités=units; emballage=packaging; modèle=model
campagne=campaign; campagnes=campaigns; clic=click; clics=clicks; canal=channel
canaux=channels; infolettre=newsletter; publicité=advertising; annonce=ad; annonces=ads
visiteur=visitor; visiteurs=visitors; visite=visit; visites=visits; cible=target
enquête=survey; avis=review; désinscription=unsubscribe
expédition=shipment; expéditions=shipments; envoi=shipment; envois=shipments
véhicule=vehicle; véhicules=vehicles; immatriculation=license plate; trajet=route
itinéraire=route; chauffeur=driver; conducteur=driver; durée=duration; arrivée=arrival
départ=departure; état=state; colis=parcel; transporteur=carrier; retour=return
entretien=maintenance; priorité=priority; équipe=team; usine=factory; atelier=workshop
hôpital=hospital; clinique=clinic; médecin=doctor; médecins=doctors; médicament=drug
médicaments=drugs; pression=pressure; artérielle=arterial; sang=blood; sanguin=blood
traitement=treatment; maladie=disease; mutuelle=health insurance; ordonnance=prescription
vaccin=vaccine; examen=examination; fréquence=frequency; cardiaque=heart; glycémie=blood sugar
mesure=measurement; mesures=measurements; résultat=result; résultats=results
valeur=value; valeurs=values; échantillon=sample; espèce=species; profondeur=depth
humidité=humidity
utilisateur=user; utilisateurs=users; identifiant=identifier; mdp=password
connexion=login; déconnexion=logout; événement=event; événements=events; accès=access
droits=permissions; erreur=error; erreurs=errors; tentatives=attempts; appareil=device
horodatage=timestamp; attaque=attack; vulnérabilité=vulnerability
langue=language; langues=languages; abréviation=abbreviation; clé=key; capitale=capital
superficie=area; fuseau=time zone; horaire=schedule; férié=holiday
modifié=modified; maj=updated; supprimé=deleted
nb=count; nbr=count; année=year; années=years; mois=month; jour=day; jours=days
semaine=week; semaines=weeks; valide=valid; début=start; actif=active; statut=status
commentaire=comment; remarque=remark; pourcentage=percentage; moyenne=average
dernier=last; nouveau=new; autre=other; groupe=group; niveau=level
ordre=order; raison=reason; origine=origin; fichier=file; chemin=path
commandé=ordered; commandée=ordered; suivi=tracking; passe=password; dernière=last
systolique=systolic; diastolique=diastolic
"""

_ES_TEXT = """
nombre=name; nombres=names; apellido=last name; apellidos=last names; segundo=second
completo=full; fecha=date; fechas=dates; nacimiento=birth; nac=birth; lugar=place
sexo=gender; género=gender; edad=age; dirección=address; direcciones=addresses
domicilio=address; calle=street; número=number; números=numbers; código=code
ciudad=city; localidad=city; municipio=municipality; provincia=province; estado=status
país=country; países=countries; teléfono=phone; tel=phone; celular=mobile; móvil=mobile
correo=email; electrónico=electronic; dni=national id; nif=tax id; cif=tax id
curp=national id; pasaporte=passport; nacionalidad=nationality
cliente=customer; clientes=customers; comprador=buyer; suscriptor=subscriber
socio=member; miembro=member; miembros=members
empleado=employee; empleados=employees; trabajador=employee; trabajadores=employees
salario=salary; salarios=salaries; sueldo=salary; sueldos=salaries; nómina=payroll
departamento=department; contratación=hire; contratado=hired; jefe=manager
gerente=manager; puesto=position; función=function; ocupación=occupation; horas=hours
hora=hour; vacaciones=vacation; contrato=contract; contratos=contracts; sucursal=branch
empresa=company; empresas=companies; compañía=company; sede=headquarters
factura=invoice; facturas=invoices; importe=amount; monto=amount; impuesto=tax
impuestos=taxes; iva=vat; neto=net; bruto=gross; saldo=balance; cuenta=account
cuentas=accounts; pago=payment; pagos=payments; moneda=currency; divisa=currency
precio=price; precios=prices; unitario=unit; costo=cost; coste=cost; costos=costs
ingreso=income; ingresos=revenue; gasto=expense; gastos=expenses; ganancia=profit
beneficio=profit; pérdida=loss; banco=bank; transacción=transaction
transacciones=transactions; transferencia=transfer; vencimiento=due date
descuento=discount; tarifa=fee; comisión=commission; interés=interest
intereses=interest; préstamo=loan; deuda=debt; crédito=credit; débito=debit
caja=cash register; ejercicio=fiscal year; trimestre=quarter; tasa=rate; tipo=type
cambio=exchange
pedido=order; pedidos=orders; orden=order; cantidad=quantity; tienda=store
tiendas=stores; venta=sale; ventas=sales; vendedor=seller; recibo=receipt
carrito=cart; oferta=offer; compra=purchase; compras=purchases
producto=product; productos=products; artículo=article; artículos=articles
categoría=category; categorías=categories; proveedor=supplier; proveedores=suppliers
fabricante=manufacturer; marca=brand; existencias=stock; inventario=inventory
almacén=warehouse; bodega=warehouse; peso=weight; tamaño=size; talla=size
longitud=length; ancho=width; altura=height; descripción=description; unidad=unit
unidades=units; empaque=packaging; modelo=model
campaña=campaign; campañas=campaigns; clic=click; clics=clicks; canal=channel
canales=channels; boletín=newsletter; publicidad=advertising; anuncio=ad; anuncios=ads
visitante=visitor; visitantes=visitors; visita=visit; visitas=visits; fuente=source
origen=origin; encuesta=survey; reseña=review; valoración=rating; suscripción=subscription
envío=shipment; envíos=shipments; entrega=delivery; entregas=deliveries
vehículo=vehicle; vehículos=vehicles; matrícula=license plate; placa=license plate
ruta=route; chofer=driver; distancia=distance; duración=duration; llegada=arrival
salida=departure; paquete=parcel; transportista=carrier; devolución=return
mantenimiento=maintenance; incidencia=incident; prioridad=priority; máquina=machine
turno=shift; producción=production; equipo=team
paciente=patient; pacientes=patients; diagnóstico=diagnosis; clínica=clinic
médico=doctor; médicos=doctors; medicamento=drug; medicamentos=drugs; fármaco=drug
presión=pressure; sangre=blood; sanguíneo=blood; tratamiento=treatment
enfermedad=disease; seguro=insurance; dosis=dose; receta=prescription; vacuna=vaccine
cita=appointment; consulta=consultation; examen=examination; temperatura=temperature
frecuencia=frequency; cardíaca=heart; glucosa=glucose
medición=measurement; medida=measure; resultado=result; resultados=results
valor=value; valores=values; muestra=sample; especie=species; latitud=latitude
profundidad=depth; precipitación=precipitation; humedad=humidity; experimento=experiment
usuario=user; usuarios=users; contraseña=password; clave=key; sesión=session
sesiones=sessions; evento=event; eventos=events; acceso=access; permiso=permission
permisos=permissions; rol=role; registro=record; intento=attempt; intentos=attempts
dispositivo=device; ataque=attack; amenaza=threat; vulnerabilidad=vulnerability
idioma=language; lengua=language; abreviatura=abbreviation; población=population
superficie=area; continente=continent; zona=zone; horaria=time; feriado=holiday
festivo=holiday
creado=created; creación=creation; modificado=modified; actualizado=updated
actualización=update; eliminado=deleted; borrado=deleted; año=year; años=years
mes=month; meses=months; días=days; semana=week; inicio=start; activo=active
comentario=comment; observaciones=remarks; nota=note; porcentaje=percentage
promedio=average; último=last; primero=first; nuevo=new; otro=other; grupo=group
nivel=level; motivo=reason; archivo=file
incluido=included; paterno=paternal; materno=maternal; seguimiento=tracking
emisión=issue; vendido=sold; vendida=sold; sistólica=systolic; diastólica=diastolic
"""

_IT_TEXT = """
nome=name; cognome=last name; nascita=birth; luogo=place; sesso=gender; genere=gender
indirizzo=address; civico=house number; città=city; comune=municipality
provincia=province; paese=country; nazione=country; telefono=phone; cellulare=mobile
codice=code; fiscale=tax; passaporto=passport; nazionalità=nationality; civile=civil
cliente=customer; clienti=customers; acquirente=buyer; abbonato=subscriber; socio=member
membro=member
dipendente=employee; dipendenti=employees; impiegato=employee; lavoratore=employee
stipendio=salary; stipendi=salaries; salario=salary; retribuzione=pay; reparto=department
dipartimento=department; ufficio=office; assunzione=hire; responsabile=manager
capo=manager; ruolo=role; mansione=job title; qualifica=qualification; ferie=holiday
contratto=contract; contratti=contracts; filiale=branch; azienda=company
aziende=companies; società=company; sede=headquarters
fattura=invoice; fatture=invoices; importo=amount; importi=amounts; imponibile=net
imposta=tax; imposte=taxes; tassa=tax; iva=vat; netto=net; lordo=gross; saldo=balance
conto=account; conti=accounts; pagamento=payment; pagamenti=payments; valuta=currency
prezzo=price; prezzi=prices; unitario=unit; costo=cost; costi=costs; ricavo=revenue
ricavi=revenue; fatturato=revenue; entrate=income; uscite=expenses; spesa=expense
spese=expenses; utile=profit; perdita=loss; banca=bank; transazione=transaction
transazioni=transactions; bonifico=transfer; scadenza=due date; sconto=discount
commissione=commission; interesse=interest; interessi=interest; prestito=loan
mutuo=mortgage; debito=debit; credito=credit; cassa=cash register; esercizio=fiscal year
trimestre=quarter; tasso=rate; cambio=exchange
ordine=order; ordini=orders; quantità=quantity; qta=quantity; negozio=store
negozi=stores; punto=point; vendita=sale; vendite=sales; venditore=seller
scontrino=receipt; ricevuta=receipt; carrello=cart; offerta=offer; acquisto=purchase
acquisti=purchases
prodotto=product; prodotti=products; articolo=article; articoli=articles
categoria=category; categorie=category; fornitore=supplier; fornitori=suppliers
produttore=manufacturer; marca=brand; giacenza=stock; giacenze=stock; scorte=stock
magazzino=warehouse; peso=weight; taglia=size; dimensione=size; lunghezza=length
larghezza=width; altezza=height; colore=color; descrizione=description; unità=unit
confezione=packaging; modello=model
campagna=campaign; campagne=campaign; clic=click; canale=channel; canali=channels
pubblicità=advertising; annuncio=ad; annunci=ads; visitatore=visitor
visitatori=visitors; visita=visit; visite=visit; fonte=source; sondaggio=survey
recensione=review; valutazione=rating; iscrizione=registration; disiscrizione=unsubscribe
spedizione=shipment; spedizioni=shipments; consegna=delivery; consegne=deliveries
veicolo=vehicle; veicoli=vehicles; targa=license plate; percorso=route; tragitto=route
autista=driver; distanza=distance; durata=duration; arrivo=arrival; partenza=departure
pacco=parcel; corriere=carrier; reso=return; manutenzione=maintenance; guasto=failure
priorità=priority; macchina=machine; turno=shift; produzione=production; squadra=team
paziente=patient; pazienti=patients; diagnosi=diagnosis; ospedale=hospital
clinica=clinic; medico=doctor; medici=doctors; farmaco=drug; farmaci=drugs
pressione=pressure; sanguigna=blood; sangue=blood; trattamento=treatment; terapia=therapy
malattia=disease; assicurazione=insurance; ricovero=admission; dimissione=discharge
ricetta=prescription; vaccino=vaccine; appuntamento=appointment; esame=examination
temperatura=temperature; frequenza=frequency; cardiaca=heart; glicemia=blood sugar
misura=measurement; misurazione=measurement; risultato=result; risultati=results
valore=value; valori=values; campione=sample; latitudine=latitude
longitudine=longitude; profondità=depth; precipitazioni=precipitation; umidità=humidity
esperimento=experiment
utente=user; utenti=users; sessione=session; sessioni=sessions; evento=event
eventi=events; accesso=access; permessi=permissions; registro=record; errore=error
errori=errors; tentativo=attempt; tentativi=attempts; dispositivo=device; attacco=attack
minaccia=threat; vulnerabilità=vulnerability
regione=region; lingua=language; sigla=abbreviation; chiave=key; capitale=capital
popolazione=population; superficie=area; continente=continent; fuso=time zone
orario=schedule; festivo=holiday
ora=hour; creato=created; creazione=creation; modificato=modified; aggiornato=updated
aggiornamento=update; eliminato=deleted; cancellato=deleted; conteggio=count
totale=total; anno=year; anni=years; mese=month; mesi=months; giorno=day; giorni=days
settimana=week; tipo=type; tipologia=type; inizio=start; attivo=active; stato=status
commento=comment; nota=note; percentuale=percentage; ultimo=last; primo=first
nuovo=new; altro=other; gruppo=group; livello=level; motivo=reason; causale=reason
origine=origin; numero=number
emissione=issue; venduto=sold; venduta=sold; ordinato=ordered; ordinata=ordered
tracciamento=tracking; sistolica=systolic; diastolica=diastolic
"""

_PT_TEXT = """
nome=name; sobrenome=last name; apelido=last name; nascimento=birth; nasc=birth
naturalidade=birth place; sexo=gender; género=gender; idade=age; endereço=address
morada=address; rua=street; logradouro=street; número=number; bairro=district
cep=postcode; código=code; cidade=city; município=municipality; estado=status
uf=state; país=country; telefone=phone; celular=mobile; telemóvel=mobile
cpf=national id; cnpj=tax id; nif=tax id; passaporte=passport; nacionalidade=nationality
cliente=customer; clientes=customers; comprador=buyer; assinante=subscriber
sócio=member; membro=member; membros=members
funcionário=employee; funcionários=employees; empregado=employee; empregados=employees
colaborador=employee; colaboradores=employees; salário=salary; salários=salaries
remuneração=pay; departamento=department; setor=department; admissão=hire
demissão=termination; gerente=manager; chefe=manager; gestor=manager; função=function
horas=hours; hora=hour; férias=vacation; contrato=contract; filial=branch
empresa=company; empresas=companies; companhia=company; sede=headquarters
fatura=invoice; faturas=invoices; montante=amount; quantia=amount; imposto=tax
impostos=taxes; iva=vat; icms=tax; líquido=net; bruto=gross; saldo=balance
conta=account; contas=accounts; pagamento=payment; pagamentos=payments; moeda=currency
preço=price; preços=prices; unitário=unit; custo=cost; custos=costs; receita=revenue
receitas=revenue; faturamento=revenue; despesa=expense; despesas=expenses
lucro=profit; prejuízo=loss; perda=loss; banco=bank; transação=transaction
transações=transactions; transferência=transfer; vencimento=due date; boleto=bank slip
desconto=discount; taxa=fee; comissão=commission; juros=interest; empréstimo=loan
dívida=debt; crédito=credit; débito=debit; caixa=cash register; exercício=fiscal year
trimestre=quarter; câmbio=exchange; tipo=type
pedido=order; pedidos=orders; encomenda=order; encomendas=orders; quantidade=quantity
qtd=quantity; qtde=quantity; loja=store; lojas=stores; venda=sale; vendas=sales
vendedor=seller; recibo=receipt; cupom=coupon; carrinho=cart; oferta=offer
compra=purchase; compras=purchases
produto=product; produtos=products; artigo=article; artigos=articles
categoria=category; fornecedor=supplier; fornecedores=suppliers; fabricante=manufacturer
marca=brand; estoque=stock; armazém=warehouse; depósito=warehouse; peso=weight
tamanho=size; comprimento=length; largura=width; altura=height; descrição=description
unidade=unit; unidades=units; embalagem=packaging; modelo=model
campanha=campaign; campanhas=campaigns; clique=click; cliques=clicks; canal=channel
boletim=newsletter; publicidade=advertising; anúncio=ad; anúncios=ads
visitante=visitor; visitantes=visitors; visitas=visits; fonte=source; origem=origin
pesquisa=survey; avaliação=rating; inscrição=registration; assinatura=subscription
envio=shipment; remessa=shipment; entrega=delivery; entregas=deliveries
veículo=vehicle; veículos=vehicles; placa=license plate; matrícula=license plate
rota=route; motorista=driver; distância=distance; duração=duration; chegada=arrival
partida=departure; saída=departure; pacote=parcel; transportadora=carrier
devolução=return; manutenção=maintenance; prioridade=priority; máquina=machine
turno=shift; produção=production; equipe=team; equipa=team
paciente=patient; pacientes=patients; diagnóstico=diagnosis; clínica=clinic
médico=doctor; médicos=doctors; remédio=drug; medicamento=drug; medicamentos=drugs
pressão=pressure; sangue=blood; sanguíneo=blood; tratamento=treatment; doença=disease
seguro=insurance; internação=admission; vacina=vaccine; consulta=consultation
exame=examination; temperatura=temperature; frequência=frequency; cardíaca=heart
glicose=glucose
medição=measurement; medida=measure; resultado=result; resultados=results
valor=value; valores=values; amostra=sample; espécie=species; profundidade=depth
precipitação=precipitation; umidade=humidity; experimento=experiment
usuário=user; usuários=users; utilizador=user; senha=password; sessão=session
sessões=sessions; evento=event; eventos=events; acesso=access; permissão=permission
permissões=permissions; papel=role; registro=record; erro=error; erros=errors
tentativa=attempt; tentativas=attempts; dispositivo=device; ataque=attack
ameaça=threat; vulnerabilidade=vulnerability
região=region; idioma=language; língua=language; sigla=abbreviation; chave=key
população=population; continente=continent; fuso=time zone; feriado=holiday
criado=created; criação=creation; modificado=modified; atualizado=updated
atualização=update; excluído=deleted; removido=removed; ano=year; anos=years
mês=month; meses=months; dias=days; semana=week; início=start; fim=end; ativo=active
situação=status; comentário=comment; observação=remark; observações=remarks
nota=note; percentual=percentage; porcentagem=percentage; último=last
primeiro=first; novo=new; outro=other; grupo=group; nível=level; ordem=order
motivo=reason; arquivo=file; ficheiro=file; caminho=path
emissão=issue; vendido=sold; vendida=sold; rastreamento=tracking; rastreio=tracking
sistólica=systolic; diastólica=diastolic
"""

_NL_TEXT = """
voornaam=first name; voornamen=first names; achternaam=last name
familienaam=last name; tussenvoegsel=name prefix; naam=name; namen=names
geboortedatum=birth date; geboorteplaats=birth place; geboorte=birth; geslacht=gender
aanhef=salutation; leeftijd=age; adres=address; adressen=addresses; straat=street
straatnaam=street name; huisnummer=house number; huisnr=house number
woonplaats=city; plaats=place; stad=city; gemeente=municipality; provincie=province
landen=countries; telefoon=phone; telefoonnummer=phone number; telnr=phone number
mobiel=mobile; emailadres=email address; bsn=national id
burgerservicenummer=national id; paspoort=passport; nationaliteit=nationality
klant=customer; klanten=customers; klantnummer=customer number; klantnr=customer number
koper=buyer; leden=members; abonnee=subscriber; opdrachtgever=client
medewerker=employee; medewerkers=employees; werknemer=employee; werknemers=employees
personeel=staff; personeelsnummer=employee number; salaris=salary; loon=wage
lonen=wages; afdeling=department; afdelingen=departments; indiensttreding=hire date
leidinggevende=manager; functie=position; functietitel=job title; beroep=occupation
uren=hours; uur=hour; verlof=leave; vakantie=vacation; vestiging=branch
bedrijf=company; bedrijven=companies; onderneming=company; werkgever=employer
factuur=invoice; facturen=invoices; factuurnummer=invoice number; factuurdatum=invoice date
bedrag=amount; bedragen=amounts; totaal=total; belasting=tax; btw=vat; netto=net
bruto=gross; saldo=balance; rekening=account; rekeningen=accounts
rekeningnummer=account number; betaling=payment; betalingen=payments
betaalwijze=payment method; valuta=currency; munteenheid=currency; prijs=price
prijzen=prices; stukprijs=unit price; kosten=cost; omzet=revenue; inkomsten=income
uitgaven=expenses; winst=profit; verlies=loss; lening=loan; transactie=transaction
transacties=transactions; boeking=transaction; boekingen=transactions
overboeking=transfer; vervaldatum=due date; korting=discount; kassabon=receipt
bon=receipt; kassa=cash register; boekjaar=fiscal year; kwartaal=quarter
wisselkoers=exchange rate; schuld=debt; debiteur=debtor; crediteur=creditor
inkoop=purchase; aankoop=purchase
bestelling=order; bestellingen=orders; bestelnummer=order number; besteldatum=order date
aantal=count; hoeveelheid=quantity; winkels=stores; winkelwagen=cart; verkoop=sale
verkopen=sales; verkoper=seller; aanbieding=offer
producten=products; artikel=article; artikelen=articles; artikelnummer=article number
categorie=category; categorieën=categories; leverancier=supplier
leveranciers=suppliers; fabrikant=manufacturer; merk=brand; voorraad=stock
magazijn=warehouse; gewicht=weight; grootte=size; maat=size; lengte=length
breedte=width; hoogte=height; kleur=color; omschrijving=description
beschrijving=description; eenheid=unit; verpakking=packaging; serienummer=serial number
campagne=campaign; campagnes=campaigns; klik=click; kliks=clicks; klikken=clicks
kanaal=channel; kanalen=channels; nieuwsbrief=newsletter; advertentie=ad
reclame=advertising; bezoeker=visitor; bezoekers=visitors; bezoeken=visits
bron=source; doelgroep=target group; enquête=survey; beoordeling=rating
afmelding=unsubscribe; inschrijving=registration; abonnement=subscription
zending=shipment; zendingen=shipments; verzending=shipping; verzenddatum=shipping date
levering=delivery; leveringen=deliveries; leverdatum=delivery date
afleveradres=delivery address; voertuig=vehicle; voertuigen=vehicles
kenteken=license plate; chauffeur=driver; rit=trip; ritten=trips; afstand=distance
duur=duration; aankomst=arrival; vertrek=departure; toestand=state; pakket=parcel
pakketten=parcels; vervoerder=carrier; retour=return; onderhoud=maintenance
prioriteit=priority; ploeg=team; dienst=service; productie=production
patiënten=patients; diagnose=diagnosis; ziekenhuis=hospital; kliniek=clinic
huisarts=doctor; dokter=doctor; artsen=doctors; medicijn=drug; medicijnen=drugs
geneesmiddel=drug; bloeddruk=blood pressure; bloedgroep=blood type; hartslag=heart rate
behandeling=treatment; ziekte=disease; verzekering=insurance; opname=admission
ontslag=discharge; dosis=dose; recept=prescription; vaccinatie=vaccination
afspraak=appointment; onderzoek=examination; temperatuur=temperature
meting=measurement; metingen=measurements; meetwaarde=measured value
resultaat=result; resultaten=results; waarde=value; waarden=values
concentratie=concentration; druk=pressure; steekproef=sample; waarneming=observation
breedtegraad=latitude; lengtegraad=longitude; diepte=depth; neerslag=precipitation
luchtvochtigheid=humidity
gebruiker=user; gebruikers=users; gebruikersnaam=username; wachtwoord=password
sessie=session; sessies=sessions; gebeurtenis=event; gebeurtenissen=events
toegang=access; rechten=permissions; rol=role; rollen=roles; logboek=log; fout=error
fouten=errors; poging=attempt; pogingen=attempts; inlog=login; inloggen=login
aanmelding=login; apparaat=device; apparaten=devices; tijdstempel=timestamp
aanval=attack; dreiging=threat; kwetsbaarheid=vulnerability
regio=region; taal=language; talen=languages; afkorting=abbreviation; sleutel=key
hoofdstad=capital; bevolking=population; inwoners=population; oppervlakte=area
werelddeel=continent; tijdzone=time zone; feestdag=holiday
nummer=number; nr=number; datum=date; tijd=time; tijdstip=time; aangemaakt=created
gemaakt=created; gewijzigd=modified; bijgewerkt=updated; verwijderd=deleted
jaar=year; jaren=years; maand=month; maanden=months; dagen=days; weken=weeks
soort=type; einde=end; geldig=valid; actief=active; opmerking=remark
notitie=note; procent=percent; gemiddelde=average; laatste=last; eerste=first
nieuw=new; overig=other; groep=group; niveau=level; volgorde=sequence; doel=target
reden=reason; oorsprong=origin
indienstdatum=hire date; stuk=piece; stuks=pieces; systolisch=systolic
diastolisch=diastolic
"""

#: Parts only used inside a German/Dutch compound: alone they are English words (or too
#: ambiguous), inside ``zahlungsart`` or ``herkunftsland`` they are safe.
_COMPOUND_TEXT = """
land=country; tag=day; dag=day; art=type; name=name; personal=staff; laden=store
labor=lab; station=ward; bestell=order; liefer=delivery; lever=delivery
verzend=shipping; betaal=payment; anmelde=login; abmelde=logout
haus=house; bank=bank; email=email; status=status; code=code; type=type
product=product; order=order; info=info; winkel=store; kauf=purchase
erstell=creation; mindest=minimum; haupt=main; sprach=language; text=text
patient=patient; jahres=annual; monats=monthly; tages=daily; wochen=weekly
verkaufs=sale; arbeits=work; start=start; plan=plan
"""
# fmt: on

_DATA: dict[str, dict[str, str]] = {
    "de": _parse(_DE_TEXT, umlauts=True),
    "fr": _parse(_FR_TEXT),
    "es": _parse(_ES_TEXT),
    "it": _parse(_IT_TEXT),
    "pt": _parse(_PT_TEXT),
    "nl": _parse(_NL_TEXT),
}

#: Per language: foreign word (lower case, accents removed) -> English word(s).
LEXICON: Mapping[str, Mapping[str, str]] = _DATA

_COMPOUND_ONLY: dict[str, str] = _parse(_COMPOUND_TEXT, umlauts=True)


def _merge() -> dict[str, tuple[str, ...]]:
    merged: dict[str, tuple[str, ...]] = {}
    for lang in LANGUAGES:
        for key, value in _DATA[lang].items():
            merged.setdefault(key, tuple(value.split()))
    return merged


_WORDS: dict[str, tuple[str, ...]] = _merge()
_COMPOUND_PARTS: dict[str, tuple[str, ...]] = {
    **{k: tuple(v.split()) for k, v in _COMPOUND_ONLY.items()},
    **_WORDS,
}


def lexicon_digest() -> str:
    """Sha256 of the sorted lexicon data, to version features built with it."""
    payload = json.dumps(
        {"languages": _DATA, "compound": _COMPOUND_ONLY},
        sort_keys=True,
        ensure_ascii=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def _singular(word: str) -> str:
    """``customers`` -> ``customer``: a German head like ``kunden`` is a linking form."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _part(text: str) -> tuple[str, ...] | None:
    if len(text) < _MIN_PART:
        return None
    return _COMPOUND_PARTS.get(text)


def _tail(rest: str) -> tuple[str, tuple[str, ...]] | None:
    """The known part ``rest`` is, possibly after a linking ``s``/``n``/``en``/``e``."""
    words = _part(rest)
    if words is not None:
        return rest, words
    for link in _LINKS:
        if rest.startswith(link):
            words = _part(rest[len(link) :])
            if words is not None:
                return rest[len(link) :], words
    return None


@lru_cache(maxsize=65536)
def _split_compound(token: str) -> tuple[str, ...] | None:
    """English words of a two-part compound, longest known prefix first, or ``None``.

    At least one part must be foreign: ``productname`` (two English parts) stays as it is.
    """
    if len(token) < _MIN_COMPOUND:
        return None
    for cut in range(len(token) - _MIN_PART, _MIN_PART - 1, -1):
        head = _part(token[:cut])
        if head is None:
            continue
        found = _tail(token[cut:])
        if found is None:
            continue
        tail_key, tail = found
        if head == (token[:cut],) and tail == (tail_key,):
            continue
        return head[:-1] + (_singular(head[-1]),) + tail
    return None


@lru_cache(maxsize=65536)
def _translate(token: str) -> tuple[str, ...]:
    folded = fold_accents(token)
    words = _WORDS.get(folded)
    if words is not None:
        return words
    if folded.isalpha():
        split = _split_compound(folded)
        if split is not None:
            return split
    return (token,)


def translate_tokens(tokens: Sequence[str]) -> list[str]:
    """Replace each known foreign word by its English word(s); leave every other token as is.

    Accent-insensitive; German/Dutch compounds of two known words are split
    (``kundenadresse`` -> ``customer``, ``address``). Pure; never raises.
    """
    out: list[str] = []
    for token in tokens:
        out.extend(_translate(token))
    return out
